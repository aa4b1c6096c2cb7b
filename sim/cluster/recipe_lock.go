package cluster

import (
	"errors"

	"zoosim/histories"
	"zoosim/recipes"
)

// WorkloadLock runs recipes.Lock: the group's clients contend for one lock, hold it for a think
// time and release it. It records "acquired" (with the fencing token) when Acquire returned and
// "released" when the holder lets go, before it deletes its node: from then on it no longer
// believes it holds the lock (models.CheckLocks).
const WorkloadLock WorkloadKind = "lock"

// The lock workload's steps (histories.RecipeEvent.Step).
const (
	StepLockAcquired = "acquired"
	StepLockReleased = "released"
)

func init() {
	registerRecipe(&recipeDriver{kind: WorkloadLock, recipe: histories.RecipeLock, step: lockStep})
}

func lockStep(wk *worker) {
	l, _ := wk.recipe.(*recipes.Lock)
	if l == nil {
		l = recipes.NewLock(wk.sess, wk.recipeDir())
		l.Flaws = wk.r.sc.RecipeFlaws
		wk.recipe = l
	}
	wk.beginRecipe("lock acquire " + l.Dir())
	token, err := l.Acquire(wk.cancel)
	wk.end()
	if err != nil {
		if !errors.Is(err, recipes.ErrSessionEnded) && !errors.Is(err, recipes.ErrCanceled) {
			wk.recipeStep("error", l.Dir(), "", 0, err.Error())
		}
		return
	}
	wk.recipeStep(StepLockAcquired, l.Dir(), l.Node(), token, "")
	if wk.loseSession() {
		return
	}
	wk.hold()
	wk.recipeStep(StepLockReleased, l.Dir(), l.Node(), token, "")
	wk.beginRecipe("lock release " + l.Dir())
	_ = l.Release()
	wk.end()
}
