package recipes_test

import (
	"errors"
	"fmt"
	"maps"
	"slices"
	"testing"
	"time"

	"zoosim/recipes"
	"zoosim/sim"
	"zoosim/sim/cluster"
	"zoosim/zab/client"
)

// masterWorkerProcess starts a client and a process running body with a blocking session over
// it.
func masterWorkerProcess(e *cluster.Ensemble, name string, body func(p *sim.Proc, s *client.Session)) *sim.Proc {
	c, node := e.NewClient(name, client.Config{})
	return node.Spawn(name, func(p *sim.Proc) { body(p, client.NewSession(c, cluster.NewWaiter(p))) })
}

// masterWorkerApp is the directory of the tests' application.
const masterWorkerApp = "/app"

// masterWorkerLead starts a candidate for master that leads until stop is cancelled.
func masterWorkerLead(e *cluster.Ensemble, name string, flaws recipes.Flaws, stop *recipes.Cancel, errs *procErrors, master **recipes.Master) *sim.Proc {
	return masterWorkerProcess(e, name, func(p *sim.Proc, s *client.Session) {
		if err := s.WaitConnected(); err != nil {
			errs.errorf("%s: connect: %v", name, err)
			return
		}
		m := recipes.NewMaster(s, masterWorkerApp)
		m.Flaws = flaws
		if master != nil {
			*master = m
		}
		if err := m.Run(stop); err != nil && !errors.Is(err, recipes.ErrCanceled) && !errors.Is(err, recipes.ErrSessionEnded) {
			errs.errorf("%s: %v", name, err)
		}
	})
}

// masterWorkerWork starts a worker that completes the tasks assigned to it, each after work of
// 5 ms, until stop is cancelled; done records who completed what.
func masterWorkerWork(e *cluster.Ensemble, name string, stop *recipes.Cancel, errs *procErrors, done map[string][]string) *sim.Proc {
	return masterWorkerProcess(e, name, func(p *sim.Proc, s *client.Session) {
		if err := s.WaitConnected(); err != nil {
			errs.errorf("%s: connect: %v", name, err)
			return
		}
		w := recipes.NewWorker(s, masterWorkerApp, name)
		if err := w.Register(stop); err != nil {
			errs.errorf("%s: register: %v", name, err)
			return
		}
		for {
			t, err := w.Next(stop)
			if errors.Is(err, recipes.ErrCanceled) {
				return
			}
			if err != nil {
				errs.errorf("%s: next: %v", name, err)
				return
			}
			p.Sleep(5 * time.Millisecond)
			if err := w.Complete(stop, t); err != nil {
				errs.errorf("%s: complete %s: %v", name, t.Name, err)
				return
			}
			done[t.Name] = append(done[t.Name], name)
		}
	})
}

// TestMasterWorkerCompletesEveryTask: a master, two workers and a submitter of twenty tasks;
// each task is done once, by a worker, and the submitter learns who did it.
func TestMasterWorkerCompletesEveryTask(t *testing.T) {
	e := recipeEnsemble(t, 1, 3)
	var errs procErrors
	stop := recipes.NewCancel()
	done := map[string][]string{}
	masterWorkerLead(e, "master", nil, stop, &errs, nil)
	masterWorkerWork(e, "w1", stop, &errs, done)
	masterWorkerWork(e, "w2", stop, &errs, done)
	told := map[string]string{}
	sub := masterWorkerProcess(e, "client", func(p *sim.Proc, s *client.Session) {
		_ = s.WaitConnected()
		sb := recipes.NewSubmitter(s, masterWorkerApp)
		var tasks []string
		for i := range 20 {
			task, err := sb.Submit(nil, fmt.Appendf(nil, "job %d", i))
			if err != nil {
				errs.errorf("submit %d: %v", i, err)
				return
			}
			tasks = append(tasks, task)
		}
		for _, task := range tasks {
			by, err := sb.WaitDone(recipes.WithTimeout(s, 10*time.Second), task)
			if err != nil {
				errs.errorf("wait for %s: %v", task, err)
				continue
			}
			told[task] = by
		}
		stop.Cancel()
	})
	runProcesses(t, e, time.Minute, sub)
	e.World().RunFor(time.Second)
	errs.report(t)
	if len(told) != 20 {
		t.Fatalf("%d tasks done, want 20", len(told))
	}
	for task, by := range told {
		if got := done[task]; len(got) != 1 || got[0] != by {
			t.Errorf("task %s: completed by %v, the submitter was told %q", task, got, by)
		}
	}
	var workers []string
	for _, by := range told {
		if !slices.Contains(workers, by) {
			workers = append(workers, by)
		}
	}
	if len(workers) != 2 {
		t.Errorf("the tasks went to %v, want both workers", workers)
	}
}

// masterWorkerTakeover runs a master's end with work left behind: worker "gone" takes task one
// and ends its session before completing it, with no other worker to move it to; task two is
// submitted; the first master ends; the backup takes over, and only then does worker "live"
// register. It returns who completed each task (the submitter's view) and how many tasks the
// backup moved.
func masterWorkerTakeover(t *testing.T, flaws recipes.Flaws) (map[string]string, int) {
	e := recipeEnsemble(t, 2, 3)
	var errs procErrors
	stop := recipes.NewCancel()
	done := map[string][]string{}
	var backup *recipes.Master
	// The first master, a candidate before the backup, leads first, for 300 ms.
	first := masterWorkerProcess(e, "first", func(p *sim.Proc, s *client.Session) {
		_ = s.WaitConnected()
		m := recipes.NewMaster(s, masterWorkerApp)
		m.Flaws = flaws
		if _, err := m.Campaign(nil); err != nil {
			errs.errorf("first: %v", err)
			return
		}
		_ = m.Lead(recipes.WithTimeout(s, 300*time.Millisecond))
		s.Close()
	})
	e.World().RunFor(50 * time.Millisecond)
	masterWorkerLead(e, "backup", flaws, stop, &errs, &backup)
	told := map[string]string{}
	taken := false
	masterWorkerProcess(e, "gone", func(p *sim.Proc, s *client.Session) {
		_ = s.WaitConnected()
		w := recipes.NewWorker(s, masterWorkerApp, "gone")
		if err := w.Register(nil); err != nil {
			errs.errorf("gone: register: %v", err)
			return
		}
		if _, err := w.Next(nil); err != nil {
			errs.errorf("gone: next: %v", err)
			return
		}
		taken = true
		p.Sleep(20 * time.Millisecond)
		s.Close() // the task undone
	})
	sub := masterWorkerProcess(e, "client", func(p *sim.Proc, s *client.Session) {
		_ = s.WaitConnected()
		sb := recipes.NewSubmitter(s, masterWorkerApp)
		one, err := sb.Submit(nil, []byte("one"))
		if err != nil {
			errs.errorf("submit: %v", err)
			return
		}
		for !taken {
			p.Sleep(10 * time.Millisecond)
		}
		p.Sleep(50 * time.Millisecond)
		two, err := sb.Submit(nil, []byte("two"))
		if err != nil {
			errs.errorf("submit: %v", err)
			return
		}
		p.Sleep(500 * time.Millisecond) // the backup has taken over
		if backup == nil || !backup.IsMaster() {
			errs.errorf("the backup is not the master 500 ms after the second submit")
		}
		masterWorkerWork(e, "live", stop, &errs, done)
		for _, task := range []string{one, two} {
			if by, err := sb.WaitDone(recipes.WithTimeout(s, 3*time.Second), task); err == nil {
				told[task] = by
			} else if !errors.Is(err, recipes.ErrTimeout) {
				errs.errorf("wait for %s: %v", task, err)
			}
		}
		stop.Cancel()
	})
	runProcesses(t, e, time.Minute, sub, first)
	e.World().RunFor(time.Second)
	errs.report(t)
	moved := 0
	if backup != nil {
		moved = backup.Moved()
	}
	return told, moved
}

// TestMasterWorkerBackupTakesOver: the backup rebuilds from the tree: it moves the gone worker's
// task to the live worker and assigns the task that waited when it took over.
func TestMasterWorkerBackupTakesOver(t *testing.T) {
	told, moved := masterWorkerTakeover(t, nil)
	if len(told) != 2 || told[slices.Sorted(maps.Keys(told))[0]] != "live" || told[slices.Sorted(maps.Keys(told))[1]] != "live" {
		t.Fatalf("tasks done: %v, want both by the live worker", told)
	}
	if moved != 1 {
		t.Errorf("the backup moved %d tasks, want 1", moved)
	}
}

// TestMasterWorkerFlawsLeaveTasks runs the same takeover with each flaw: a master that never
// moves a gone worker's task leaves the first task undone, and a backup that starts from an
// empty state leaves both undone (both were there when it took over).
func TestMasterWorkerFlawsLeaveTasks(t *testing.T) {
	told, _ := masterWorkerTakeover(t, recipes.Flaws{recipes.FlawMasterWorkerNoReassign})
	if len(told) != 1 {
		t.Errorf("no-reassign: tasks done %v, want only the second", told)
	}
	told, _ = masterWorkerTakeover(t, recipes.Flaws{recipes.FlawMasterWorkerEmptyTakeover})
	if len(told) != 0 {
		t.Errorf("empty takeover: tasks done %v, want none", told)
	}
}

// TestMasterWorkerNameTaken: a second worker with a live worker's name is refused.
func TestMasterWorkerNameTaken(t *testing.T) {
	e := recipeEnsemble(t, 4, 3)
	var errs procErrors
	registered := false
	a := masterWorkerProcess(e, "a", func(p *sim.Proc, s *client.Session) {
		_ = s.WaitConnected()
		if err := recipes.NewWorker(s, masterWorkerApp, "w").Register(nil); err != nil {
			errs.errorf("a: %v", err)
		}
		registered = true
		p.Sleep(200 * time.Millisecond)
	})
	b := masterWorkerProcess(e, "b", func(p *sim.Proc, s *client.Session) {
		_ = s.WaitConnected()
		for !registered {
			p.Sleep(time.Millisecond)
		}
		w := recipes.NewWorker(s, masterWorkerApp, "w")
		if err := w.Register(nil); !errors.Is(err, recipes.ErrWorkerNameTaken) || w.Registered() {
			errs.errorf("b: Register with a taken name = %v, registered %v; want ErrWorkerNameTaken", err, w.Registered())
		}
	})
	runProcesses(t, e, time.Minute, a, b)
	errs.report(t)
}

// TestMasterWorkerTaskLost: a worker taken out while executing loses its task to another worker;
// its Complete says ErrTaskLost, and the task is done once, by the other.
func TestMasterWorkerTaskLost(t *testing.T) {
	e := recipeEnsemble(t, 3, 3)
	var errs procErrors
	stop := recipes.NewCancel()
	done := map[string][]string{}
	masterWorkerLead(e, "master", nil, stop, &errs, nil)
	var lost error
	leaver := masterWorkerProcess(e, "leaver", func(p *sim.Proc, s *client.Session) {
		_ = s.WaitConnected()
		w := recipes.NewWorker(s, masterWorkerApp, "leaver")
		if err := w.Register(nil); err != nil {
			errs.errorf("leaver: %v", err)
			return
		}
		task, err := w.Next(nil)
		if err != nil {
			errs.errorf("leaver: next: %v", err)
			return
		}
		// An operator takes the worker out (its session lives on): the master moves its task.
		if err := s.Delete(masterWorkerApp+"/workers/leaver", -1); err != nil {
			errs.errorf("leaver: deleting the registration: %v", err)
		}
		p.Sleep(200 * time.Millisecond)
		lost = w.Complete(nil, task)
	})
	var by string
	sub := masterWorkerProcess(e, "client", func(p *sim.Proc, s *client.Session) {
		_ = s.WaitConnected()
		sb := recipes.NewSubmitter(s, masterWorkerApp)
		p.Sleep(100 * time.Millisecond) // the leaver registers first, so it gets the task
		task, err := sb.Submit(nil, []byte("x"))
		if err != nil {
			errs.errorf("submit: %v", err)
			return
		}
		p.Sleep(50 * time.Millisecond)
		masterWorkerWork(e, "stayer", stop, &errs, done)
		by, err = sb.WaitDone(recipes.WithTimeout(s, 5*time.Second), task)
		if err != nil {
			errs.errorf("wait: %v", err)
		}
	})
	runProcesses(t, e, time.Minute, sub, leaver)
	stop.Cancel()
	e.World().RunFor(time.Second)
	errs.report(t)
	if by != "stayer" {
		t.Errorf("the task was done by %q, want stayer", by)
	}
	if !errors.Is(lost, recipes.ErrTaskLost) {
		t.Errorf("Complete after the task moved: %v, want ErrTaskLost", lost)
	}
	if got := done[masterWorkerTaskOf(done)]; len(got) != 1 {
		t.Errorf("the task was completed by %v, want once", got)
	}
}

// masterWorkerTaskOf returns the one task of done.
func masterWorkerTaskOf(done map[string][]string) string {
	for task := range done {
		return task
	}
	return ""
}
