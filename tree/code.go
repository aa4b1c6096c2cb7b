package tree

import "fmt"

// Code is a ZooKeeper result code (KeeperException.Code, zookeeper.md A5).
// Results carry a Code rather than a Go error because the code is part of
// what a replica agrees on and what a client sees: it travels in txns and
// replies and is compared in histories. OK is the zero value.
type Code int32

// The codes of zookeeper.md A5, with ZooKeeper's numeric values.
const (
	OK                           Code = 0
	SystemError                  Code = -1
	RuntimeInconsistency         Code = -2
	DataInconsistency            Code = -3
	ConnectionLoss               Code = -4
	MarshallingError             Code = -5
	Unimplemented                Code = -6
	OperationTimeout             Code = -7
	BadArguments                 Code = -8
	UnknownSession               Code = -12
	NewConfigNoQuorum            Code = -13
	ReconfigInProgress           Code = -14
	APIError                     Code = -100
	NoNode                       Code = -101
	NoAuth                       Code = -102
	BadVersion                   Code = -103
	NoChildrenForEphemerals      Code = -108
	NodeExists                   Code = -110
	NotEmpty                     Code = -111
	SessionExpired               Code = -112
	InvalidCallback              Code = -113
	InvalidACL                   Code = -114
	AuthFailed                   Code = -115
	SessionMoved                 Code = -118
	NotReadOnly                  Code = -119
	EphemeralOnLocalSession      Code = -120
	NoWatcher                    Code = -121
	RequestTimeout               Code = -122
	ReconfigDisabled             Code = -123
	SessionClosedRequireSaslAuth Code = -124
	QuotaExceeded                Code = -125
	ThrottledOp                  Code = -127
)

var codeNames = map[Code]string{
	OK:                           "OK",
	SystemError:                  "SystemError",
	RuntimeInconsistency:         "RuntimeInconsistency",
	DataInconsistency:            "DataInconsistency",
	ConnectionLoss:               "ConnectionLoss",
	MarshallingError:             "MarshallingError",
	Unimplemented:                "Unimplemented",
	OperationTimeout:             "OperationTimeout",
	BadArguments:                 "BadArguments",
	UnknownSession:               "UnknownSession",
	NewConfigNoQuorum:            "NewConfigNoQuorum",
	ReconfigInProgress:           "ReconfigInProgress",
	APIError:                     "APIError",
	NoNode:                       "NoNode",
	NoAuth:                       "NoAuth",
	BadVersion:                   "BadVersion",
	NoChildrenForEphemerals:      "NoChildrenForEphemerals",
	NodeExists:                   "NodeExists",
	NotEmpty:                     "NotEmpty",
	SessionExpired:               "SessionExpired",
	InvalidCallback:              "InvalidCallback",
	InvalidACL:                   "InvalidACL",
	AuthFailed:                   "AuthFailed",
	SessionMoved:                 "SessionMoved",
	NotReadOnly:                  "NotReadOnly",
	EphemeralOnLocalSession:      "EphemeralOnLocalSession",
	NoWatcher:                    "NoWatcher",
	RequestTimeout:               "RequestTimeout",
	ReconfigDisabled:             "ReconfigDisabled",
	SessionClosedRequireSaslAuth: "SessionClosedRequireSaslAuth",
	QuotaExceeded:                "QuotaExceeded",
	ThrottledOp:                  "ThrottledOp",
}

// String names the code as ZooKeeper's enum does ("NoNode"); an unknown
// value prints as "Code(-999)".
func (c Code) String() string {
	if name, ok := codeNames[c]; ok {
		return name
	}
	return fmt.Sprintf("Code(%d)", int32(c))
}

// ParseCode is the inverse of [Code.String].
func ParseCode(s string) (Code, bool) {
	for c, name := range codeNames {
		if name == s {
			return c, true
		}
	}
	return 0, false
}
