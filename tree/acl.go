package tree

import (
	"crypto/sha1"
	"encoding/base64"
	"fmt"
	"net/netip"
	"slices"
	"strconv"
	"strings"
)

// Perm is a set of ACL permission bits (ZooDefs.Perms).
type Perm int32

// The permission bits.
const (
	PermRead   Perm = 1 << 0
	PermWrite  Perm = 1 << 1
	PermCreate Perm = 1 << 2
	PermDelete Perm = 1 << 3
	PermAdmin  Perm = 1 << 4
	PermAll    Perm = PermRead | PermWrite | PermCreate | PermDelete | PermAdmin
)

// String prints the bits as zkCli does: "cdrwa" for all of them.
func (p Perm) String() string {
	var b strings.Builder
	for _, bit := range []struct {
		p Perm
		c byte
	}{{PermCreate, 'c'}, {PermDelete, 'd'}, {PermRead, 'r'}, {PermWrite, 'w'}, {PermAdmin, 'a'}} {
		if p&bit.p != 0 {
			b.WriteByte(bit.c)
		}
	}
	return b.String()
}

// ID is an identity in an authentication scheme: world:anyone,
// digest:user:base64(sha1(user:password)), ip:10.0.0.1 or ip:10.0.0.0/8,
// and super (a digest that matches the configured super digest).
type ID struct {
	Scheme string
	ID     string
}

func (id ID) String() string { return id.Scheme + ":" + id.ID }

// ACL grants Perms to every client authenticated as ID.
type ACL struct {
	Perms Perm
	ID    ID
}

func (a ACL) String() string { return a.ID.String() + ":" + a.Perms.String() }

// The predefined identities and ACLs of ZooDefs.Ids.
var (
	AnyoneID = ID{Scheme: "world", ID: "anyone"}
	// AuthID stands for "every identity the creator has authenticated as";
	// it is expanded when the ACL is set.
	AuthID = ID{Scheme: "auth", ID: ""}

	OpenACLUnsafe = []ACL{{Perms: PermAll, ID: AnyoneID}}
	CreatorAllACL = []ACL{{Perms: PermAll, ID: AuthID}}
	ReadACLUnsafe = []ACL{{Perms: PermRead, ID: AnyoneID}}
)

// Auth is the list of identities one connection has authenticated as. It
// belongs to the connection, not to the replicated tree: ZooKeeper keeps it
// in the ServerCnxn and forwards it with each request to the leader (the
// authinfo field of a REQUEST packet), which checks ACLs with it.
type Auth []ID

// NewAuth starts the auth info of a connection from the client's address, as
// ZooKeeper adds ip:<remote address> to every new connection.
func NewAuth(ip string) Auth { return Auth{{Scheme: "ip", ID: ip}} }

// AddDigest returns the auth info after an addAuth("digest", "user:password")
// call: the digest identity, preceded by super when it equals superDigest
// (DigestAuthenticationProvider.handleAuthentication). An identity already
// present is not added twice.
func (a Auth) AddDigest(userPassword, superDigest string) Auth {
	digest := DigestID(userPassword)
	out := slices.Clone(a)
	add := func(id ID) {
		if !slices.Contains(out, id) {
			out = append(out, id)
		}
	}
	if superDigest != "" && digest.ID == superDigest {
		add(ID{Scheme: "super", ID: ""})
	}
	add(digest)
	return out
}

// DigestID is the digest identity of "user:password": the user, a colon and
// the base64 of the SHA-1 of the whole string
// (DigestAuthenticationProvider.generateDigest).
func DigestID(userPassword string) ID {
	user, _, _ := strings.Cut(userPassword, ":")
	sum := sha1.Sum([]byte(userPassword))
	return ID{Scheme: "digest", ID: user + ":" + base64.StdEncoding.EncodeToString(sum[:])}
}

// FixupACL validates an ACL a client asks to set and expands the auth
// scheme, as PrepRequestProcessor.fixupACL does: duplicates are dropped; an
// empty list, an unknown scheme, an invalid id, or "auth" without any
// authenticated digest identity is InvalidACL.
func FixupACL(auth Auth, acl []ACL) ([]ACL, Code) { return fixupACL(auth, acl, nil) }

// fixupACL is FixupACL, except that it returns prev itself rather than a new
// list when the result equals it: the Preparer passes the ACL of the txn it
// prepared last, which the next txn may share because nobody writes to a
// txn's ACL (Apply reads it, and a logged or sent txn is immutable), and
// nearly every create sets the same list.
func fixupACL(auth Auth, acl, prev []ACL) ([]ACL, Code) {
	var buf [4]ACL // a list is rarely longer: unique stays on the stack
	unique := buf[:0]
	for _, a := range acl {
		if !slices.Contains(unique, a) {
			unique = append(unique, a)
		}
	}
	if len(unique) == 0 {
		return nil, InvalidACL
	}
	var outBuf [4]ACL // out too, until it is copied or found equal to prev
	out := outBuf[:0]
	for _, a := range unique {
		switch {
		case a.ID == AnyoneID:
			out = append(out, a)
		case a.ID.Scheme == "auth":
			expanded := false
			for _, id := range auth {
				// Only providers that say isAuthenticated count: digest does,
				// ip does not, and super has no provider at all.
				if id.Scheme == "digest" {
					expanded = true
					out = append(out, ACL{Perms: a.Perms, ID: id})
				}
			}
			if !expanded {
				return nil, InvalidACL
			}
		case a.ID.Scheme == "digest" && validDigestID(a.ID.ID),
			a.ID.Scheme == "ip" && validIPID(a.ID.ID):
			out = append(out, a)
		default:
			return nil, InvalidACL
		}
	}
	if prev != nil && slices.Equal(out, prev) {
		return prev, OK
	}
	return slices.Clone(out), OK
}

// validDigestID is DigestAuthenticationProvider.isValid: the id splits on
// ':' into exactly two parts, with Java's split dropping trailing empty parts.
func validDigestID(id string) bool {
	return javaSplitCount(id, ":") == 2
}

// javaSplitCount counts the parts of Java's s.split(sep): an empty input is
// one part, and trailing empty parts are dropped (so ":::" has none).
func javaSplitCount(s, sep string) int {
	if s == "" {
		return 1
	}
	parts := strings.Split(s, sep)
	for len(parts) > 0 && parts[len(parts)-1] == "" {
		parts = parts[:len(parts)-1]
	}
	return len(parts)
}

// validIPID is IPAuthenticationProvider.isValid: an address, optionally with
// /bits no longer than the address.
func validIPID(id string) bool {
	_, ok := parseIPPrefix(id)
	return ok
}

func parseIPPrefix(id string) (netip.Prefix, bool) {
	addrPart, bitsPart, hasBits := strings.Cut(id, "/")
	addr, err := parseIPv4Strict(addrPart)
	if err != nil {
		return netip.Prefix{}, false
	}
	bits := addr.BitLen()
	if hasBits {
		n, err := strconv.Atoi(bitsPart)
		if err != nil || n < 0 || n > addr.BitLen() {
			return netip.Prefix{}, false
		}
		bits = n
	}
	p, err := addr.Prefix(bits)
	return p, err == nil
}

// parseIPv4Strict accepts what IPAuthenticationProvider.v4addr2Bytes accepts:
// four dot-separated decimal numbers from 0 to 255. (ZooKeeper 3.8 also has
// an IPv6 path; the simulator hands out IPv4 addresses only.)
func parseIPv4Strict(s string) (netip.Addr, error) {
	parts := strings.Split(s, ".")
	if len(parts) != 4 {
		return netip.Addr{}, fmt.Errorf("not an IPv4 address: %q", s)
	}
	var b [4]byte
	for i, p := range parts {
		n, err := strconv.Atoi(p)
		if err != nil || n < 0 || n > 255 {
			return netip.Addr{}, fmt.Errorf("not an IPv4 address: %q", s)
		}
		b[i] = byte(n)
	}
	return netip.AddrFrom4(b), nil
}

// CheckACL decides whether auth may perform an operation needing perm on a
// node with the given ACL, as ZooKeeperServer.checkACL does: an empty ACL
// allows everything; a super identity allows everything; otherwise some
// entry granting one of the bits in perm must match world:anyone or one of
// the caller's identities in the same scheme.
func CheckACL(acl []ACL, perm Perm, auth Auth) Code {
	if len(acl) == 0 {
		return OK
	}
	for _, id := range auth {
		if id.Scheme == "super" {
			return OK
		}
	}
	for _, a := range acl {
		if a.Perms&perm == 0 {
			continue
		}
		if a.ID == AnyoneID {
			return OK
		}
		for _, id := range auth {
			if id.Scheme == a.ID.Scheme && idMatches(id, a.ID) {
				return OK
			}
		}
	}
	return NoAuth
}

// idMatches is the provider's matches(): digest ids match exactly; an ip
// entry matches every address inside its prefix.
func idMatches(have, want ID) bool {
	switch want.Scheme {
	case "digest":
		return have.ID == want.ID
	case "ip":
		p, ok := parseIPPrefix(want.ID)
		if !ok {
			return false
		}
		addr, err := parseIPv4Strict(have.ID)
		return err == nil && p.Contains(addr)
	}
	return false
}

// RedactACL is what getACL returns to a caller without ADMIN permission:
// the password hash of every digest entry replaced by "x"
// (FinalRequestProcessor, case getACL).
func RedactACL(acl []ACL) []ACL {
	out := make([]ACL, len(acl))
	for i, a := range acl {
		if a.ID.Scheme == "digest" {
			if user, _, found := strings.Cut(a.ID.ID, ":"); found {
				a.ID.ID = user + ":x"
			}
		}
		out[i] = a
	}
	return out
}
