package cluster

import (
	"errors"
	"strconv"
	"time"

	"zoosim/histories"
	"zoosim/recipes"
)

// WorkloadConfig runs recipes.Config: the group's clients read one configuration node
// (<group dir>/config), watch it with Next, and now and then publish a new version based on the
// one they hold, with a value unique to the publication ("cfg-<client>:<n>"); a conflict (another
// publisher came first) is expected and not retried. Sessions are lost right after a
// publication (loseSession): a reader with a new session reads again. Each session runs as long as it lives;
// once the workloads stop, a live session settles (recipes.Config.Settle) and records the version
// it holds then.
//
// Steps: "read" each time Next returned a version and "published" when Publish returned (Token:
// the version, -1 for no configuration; Value: the data); at the end "synced" (Token: the zxid
// the settle's sync was answered at) and then "settled" (Token and Value as for "read"), judged
// by models.CheckConfig.
const WorkloadConfig WorkloadKind = "config"

// The config workload's steps (histories.RecipeEvent.Step).
const (
	StepConfigRead      = "read"
	StepConfigPublished = "published"
	StepConfigSynced    = "synced"
	StepConfigSettled   = "settled"
)

func init() {
	registerRecipe(&recipeDriver{kind: WorkloadConfig, recipe: histories.RecipeConfig, step: configStep})
}

// configNode is the configuration node of the worker's group.
func configNode(wk *worker) string { return wk.recipeDir() + "/config" }

// configStep runs the worker's session: watch and publish until the session is lost or the
// workloads stop; then it settles.
func configStep(wk *worker) {
	cfg, _ := wk.recipe.(*recipes.Config)
	if cfg == nil {
		cfg = recipes.NewConfig(wk.sess, configNode(wk))
		cfg.Flaws = wk.r.sc.RecipeFlaws
		wk.recipe = cfg
	}
	node := cfg.Path()
	for !wk.r.stopping {
		// Watch for a while: Next returns at the next version, or the wait times out.
		wait := recipes.WithTimeout(wk.sess, configWait(wk))
		wk.beginRecipe("config watch " + node)
		v, err := cfg.Next(wait)
		wk.end()
		wait.Cancel()
		switch {
		case err == nil:
			wk.recipeStep(StepConfigRead, node, "", int64(v.Version), string(v.Data))
		case errors.Is(err, recipes.ErrTimeout):
		default:
			configError(wk, node, err)
			return
		}
		if wk.rnd.IntN(3) == 0 {
			wk.vals.n++
			value := "cfg-" + strconv.Itoa(wk.vals.client) + ":" + strconv.Itoa(wk.vals.n)
			wk.beginRecipe("config publish " + node)
			v, err := cfg.Publish(wk.cancel, []byte(value), cfg.Current().Version)
			wk.end()
			switch {
			case err == nil:
				wk.recipeStep(StepConfigPublished, node, "", int64(v.Version), value)
				if wk.loseSession() {
					return
				}
			case errors.Is(err, recipes.ErrConfigConflict):
			case errors.Is(err, recipes.ErrCanceled):
			default:
				configError(wk, node, err)
				return
			}
		}
	}
	wk.beginRecipe("config settle " + node)
	v, synced, err := cfg.Settle(nil)
	wk.end()
	if err != nil {
		configError(wk, node, err)
		return
	}
	wk.recipeStep(StepConfigSynced, node, "", int64(synced), "")
	wk.recipeStep(StepConfigSettled, node, "", int64(v.Version), string(v.Data))
}

// configWait is how long one watch waits for a change: one to four think times.
func configWait(wk *worker) time.Duration {
	t := max(int64(wk.r.sc.Workload.Think), int64(time.Millisecond))
	return time.Duration(wk.rnd.Between(t, 4*t))
}

// configError records a recipe call's failure, unless it is the session's end or the workloads'
// stop, which are expected.
func configError(wk *worker, node string, err error) {
	if !errors.Is(err, recipes.ErrSessionEnded) && !errors.Is(err, recipes.ErrCanceled) {
		wk.recipeStep("error", node, "", 0, err.Error())
	}
}
