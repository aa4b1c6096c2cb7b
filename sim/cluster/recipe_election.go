package cluster

import (
	"errors"
	"strconv"
	"time"

	"zoosim/histories"
	"zoosim/recipes"
)

// WorkloadElection runs recipes.Election: the group's clients are candidates in one election.
// Each joins (records "candidate" with its node and the node's czxid), campaigns, and when
// elected (records "elected" with the token) leads for a few periods of one to ten think times,
// watching for the loss of its leadership, then resigns (records "resigned" before it deletes
// its node: from then on it no longer believes it leads) and joins again. A leader that learns
// it lost the leadership (its session ended) records "lost". One campaign in four is impatient:
// it gives up after a while and records "withdrew" (so candidates leave from the middle of the
// line, not only from its head), as does a campaign that the workloads' stop cancels.
//
// Sessions are lost (loseSession) right after an election, where it tests the recipe most (a
// leader whose session expires while it believes it leads, the next candidate elected when the
// expiry commits), and after one join in three (a dead candidate in the line: the candidates
// behind it wait for its session to expire). models.CheckElections judges the steps.
const WorkloadElection WorkloadKind = "election"

// The election workload's steps (histories.RecipeEvent.Step).
const (
	StepElectionCandidate = "candidate"
	StepElectionElected   = "elected"
	StepElectionResigned  = "resigned"
	StepElectionLost      = "lost"
	StepElectionWithdrew  = "withdrew"
)

func init() {
	registerRecipe(&recipeDriver{kind: WorkloadElection, recipe: histories.RecipeElection, step: electionStep})
}

// electionLeadPeriods bounds how many periods a leader leads before it resigns.
const electionLeadPeriods = 4

func electionStep(wk *worker) {
	e, _ := wk.recipe.(*recipes.Election)
	if e == nil {
		e = recipes.NewElection(wk.sess, wk.recipeDir(), "p"+strconv.Itoa(wk.slot))
		e.Flaws = wk.r.sc.RecipeFlaws
		wk.recipe = e
	}
	think := max(int64(wk.r.sc.Workload.Think), int64(time.Millisecond))

	if e.Node() == "" {
		wk.beginRecipe("election join " + e.Dir())
		err := e.Join(wk.cancel)
		wk.end()
		if err != nil {
			electionFailed(wk, e, err)
			return
		}
		wk.recipeStep(StepElectionCandidate, e.Dir(), e.Node(), 0, "")
		if wk.rnd.IntN(3) == 0 && wk.loseSession() {
			return
		}
	}

	// An impatient candidate's campaign has a timeout of its own; the workloads' stop does not
	// cut it short, but it ends within electionPatience.
	c := wk.cancel
	if wk.rnd.IntN(4) == 0 {
		c = recipes.WithTimeout(wk.sess, time.Duration(wk.rnd.Between(int64(electionPatience)/10, int64(electionPatience))))
	}
	node := e.Node()
	wk.beginRecipe("election campaign " + e.Dir())
	token, err := e.Campaign(c)
	wk.end()
	if err != nil {
		if !errors.Is(err, recipes.ErrSessionEnded) {
			wk.recipeStep(StepElectionWithdrew, e.Dir(), node, 0, err.Error())
		}
		return
	}
	wk.recipeStep(StepElectionElected, e.Dir(), e.Node(), token, "")
	if wk.loseSession() {
		return
	}
	for range 1 + wk.rnd.IntN(electionLeadPeriods) {
		wk.beginRecipe("election lead " + e.Dir())
		err := e.WaitLost(recipes.WithTimeout(wk.sess, time.Duration(wk.rnd.Between(think, 10*think))))
		wk.end()
		if !errors.Is(err, recipes.ErrTimeout) {
			// The leadership ended: the session, or the node, is gone.
			wk.recipeStep(StepElectionLost, e.Dir(), e.Node(), token, err.Error())
			wk.beginRecipe("election resign " + e.Dir())
			_ = e.Resign() // forgets the candidacy; the node is gone already
			wk.end()
			return
		}
		if wk.r.stopping {
			break
		}
	}
	wk.recipeStep(StepElectionResigned, e.Dir(), e.Node(), token, "")
	wk.beginRecipe("election resign " + e.Dir())
	_ = e.Resign()
	wk.end()
}

// electionPatience bounds an impatient candidate's campaign.
const electionPatience = 2 * time.Second

// electionFailed records a join that failed for another reason than the session's end or the
// workloads' stop.
func electionFailed(wk *worker, e *recipes.Election, err error) {
	if !errors.Is(err, recipes.ErrSessionEnded) && !errors.Is(err, recipes.ErrCanceled) {
		wk.recipeStep("error", e.Dir(), "", 0, err.Error())
	}
}
