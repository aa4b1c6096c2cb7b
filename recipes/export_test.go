package recipes

// AddLostAttemptForTest makes e believe that a create of a node whose name starts with stem
// was lost to ConnectionLoss, as if its outcome were unknown: the tests create such a node
// themselves to play an attempt committed late.
func (e *Election) AddLostAttemptForTest(stem string) { e.own.unknown = append(e.own.unknown, stem) }

// AddLostAttemptForTest is Election's, for a read-write lock.
func (l *RWLock) AddLostAttemptForTest(stem string) { l.own.unknown = append(l.own.unknown, stem) }

// AddLostAttemptForTest is Election's, for a lock.
func (l *Lock) AddLostAttemptForTest(stem string) { l.own.unknown = append(l.own.unknown, stem) }
