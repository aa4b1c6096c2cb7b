package histories

import "zoosim/tree"

// RecipeEvent is one step of a coordination recipe (package recipes) as the process running it
// saw it: a lock acquired or released, a leadership won or lost, an item produced or consumed, a
// configuration version read. The workloads that drive recipes record these next to the raw
// client ops the recipes issue, and the recipe checkers in models judge them (issue 7).
//
// The step names and what Name, Node, Token and Value mean belong to each recipe; the
// constants below fix them so that the driver that records a step and the checker that reads
// it agree.
type RecipeEvent struct {
	// Process is the workload slot that ran the step. A slot outlives its client instances (a
	// session that expired is replaced by a new one), so Process follows one simulated
	// application across sessions while Client names the instance.
	Process int
	// Client is the history index of the client instance (Op.Client); Session its session.
	Client  int
	Session tree.SessionID
	// Time and Seq place the step in the timeline; the Recorder sets them.
	Time Time
	Seq  Seq
	// Recipe names the recipe (RecipeLock...), Step what happened (StepAcquired...).
	Recipe string
	Step   string
	// Name is the recipe instance: the lock's, the election's, the queue's parent path.
	Name string
	// Node is the znode the step concerns: the lock node, the item taken, the member.
	Node string
	// Token is the number the step carries: a lock's fencing token (the lock node's czxid),
	// a configuration version, a barrier's count.
	Token int64
	// Value is the text the step carries: a queue item, a configuration value, a membership
	// view (members joined by ","), a task.
	Value string
}

// The recipes' names, as RecipeEvent.Recipe carries them.
const (
	RecipeLock          = "lock"
	RecipeRWLock        = "rwlock"
	RecipeElection      = "election"
	RecipeMembership    = "membership"
	RecipeBarrier       = "barrier"
	RecipeDoubleBarrier = "double-barrier"
	RecipeQueue         = "queue"
	RecipeConfig        = "config"
	RecipeNaming        = "naming"
	RecipeMasterWorker  = "master-worker"
)
