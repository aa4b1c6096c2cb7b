package cluster

import (
	"errors"

	"zoosim/histories"
	"zoosim/recipes"
)

// WorkloadRWLock runs recipes.RWLock: the group's clients contend for one read-write lock, two
// acquisitions in three shared (RLock) and one exclusive (Lock), hold it for a think time and
// release it. It records "read-acquired" or "write-acquired" (with the token) when the
// acquisition returned, and "read-released" or "write-released" when the holder lets go, before
// it deletes its node: from then on it no longer believes it holds the lock. Sessions are lost
// while holding (loseSession), where an expiry tests the recipe most: the next writer may take
// the lock while the old holder still believes it holds it (models.CheckRWLocks).
const WorkloadRWLock WorkloadKind = "rwlock"

// The read-write lock workload's steps (histories.RecipeEvent.Step).
const (
	StepRWLockReadAcquired  = "read-acquired"
	StepRWLockReadReleased  = "read-released"
	StepRWLockWriteAcquired = "write-acquired"
	StepRWLockWriteReleased = "write-released"
)

func init() {
	registerRecipe(&recipeDriver{kind: WorkloadRWLock, recipe: histories.RecipeRWLock, step: rwlockStep})
}

func rwlockStep(wk *worker) {
	l, _ := wk.recipe.(*recipes.RWLock)
	if l == nil {
		l = recipes.NewRWLock(wk.sess, wk.recipeDir())
		l.Flaws = wk.r.sc.RecipeFlaws
		wk.recipe = l
	}
	write := wk.rnd.IntN(3) == 0
	acquired, released, what := StepRWLockReadAcquired, StepRWLockReadReleased, "rwlock read "
	acquire := l.RLock
	if write {
		acquired, released, what = StepRWLockWriteAcquired, StepRWLockWriteReleased, "rwlock write "
		acquire = l.Lock
	}
	wk.beginRecipe(what + "acquire " + l.Dir())
	token, err := acquire(wk.cancel)
	wk.end()
	if err != nil {
		if !errors.Is(err, recipes.ErrSessionEnded) && !errors.Is(err, recipes.ErrCanceled) {
			wk.recipeStep("error", l.Dir(), "", 0, err.Error())
		}
		return
	}
	wk.recipeStep(acquired, l.Dir(), l.Node(), token, "")
	if wk.loseSession() {
		return
	}
	wk.hold()
	wk.recipeStep(released, l.Dir(), l.Node(), token, "")
	wk.beginRecipe(what + "release " + l.Dir())
	_ = l.Unlock()
	wk.end()
}
