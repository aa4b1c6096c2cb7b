package client

import "zoosim/tree"

// The callback types of the asynchronous API, as completers: each takes
// from the result what its API call returns. A func converts to an
// interface without allocating, so issuing a call allocates no wrapper
// closure. A nil callback is allowed and does nothing.
type (
	errCB       func(err error)
	closeCB     func()
	pathCB      func(path string, err error)
	pathStatCB  func(path string, stat tree.Stat, err error)
	statCB      func(stat tree.Stat, err error)
	dataCB      func(data []byte, stat tree.Stat, err error)
	childrenCB  func(children []string, err error)
	children2CB func(children []string, stat tree.Stat, err error)
	aclCB       func(acl []tree.ACL, stat tree.Stat, err error)
	multiCB     func(results []tree.Result, err error)
)

func (f errCB) complete(_ *tree.Result, err error) {
	if f != nil {
		f(err)
	}
}

func (f closeCB) complete(*tree.Result, error) {
	if f != nil {
		f()
	}
}

func (f pathCB) complete(r *tree.Result, err error) {
	if f != nil {
		f(r.Path, err)
	}
}

func (f pathStatCB) complete(r *tree.Result, err error) {
	if f != nil {
		f(r.Path, r.Stat, err)
	}
}

func (f statCB) complete(r *tree.Result, err error) {
	if f != nil {
		f(r.Stat, err)
	}
}

func (f dataCB) complete(r *tree.Result, err error) {
	if f != nil {
		f(r.Data, r.Stat, err)
	}
}

func (f childrenCB) complete(r *tree.Result, err error) {
	if f != nil {
		f(r.Children, err)
	}
}

func (f children2CB) complete(r *tree.Result, err error) {
	if f != nil {
		f(r.Children, r.Stat, err)
	}
}

func (f aclCB) complete(r *tree.Result, err error) {
	if f != nil {
		f(r.ACL, r.Stat, err)
	}
}

func (f multiCB) complete(r *tree.Result, err error) {
	if f != nil {
		f(r.Multi, err)
	}
}
