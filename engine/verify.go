package engine

import (
	"context"
	"fmt"
	"strconv"
	"strings"
)

// VerifyResult is the outcome of recomputing the chain and checking it
// against the witness and a recorded head.
type VerifyResult struct {
	OK      bool  `json:"ok"`
	Entries int64 `json:"entries"`
	// Head is the hash of the last entry (the genesis hash for an empty
	// log) and HeadSeq its sequence number; "SEQ:HASH" is the form
	// VerifyAudit takes back as a recorded head.
	Head    string `json:"head"`
	HeadSeq int64  `json:"headSeq"`
	// BrokenSeq is the first entry that does not verify (0 when OK, or
	// when the problem is a recorded head whose place is unknown).
	BrokenSeq int64  `json:"brokenSeq,omitempty"`
	Problem   string `json:"problem,omitempty"`
	// Kind is what happened at BrokenSeq: "edited", "missing",
	// "reordered", "rewritten", "truncated" or "unknown-head".
	Kind    string       `json:"kind,omitempty"`
	Witness WitnessCheck `json:"witness"`
}

// WitnessCheck is what VerifyAudit found in the witness file.
type WitnessCheck struct {
	// Path is the witness file ("" when no location could be determined).
	Path string `json:"path"`
	// Found is false when the file does not exist (nothing was witnessed
	// yet, or it was removed).
	Found bool `json:"found"`
	// Heads is how many heads it records.
	Heads int64 `json:"heads"`
	// Problem is why it could not be used in full ("" when it could).
	Problem string `json:"problem,omitempty"`
}

// ParseAuditHead reads a recorded head: "SEQ:HASH" as VerifyAudit prints
// it, or a bare HASH (seq 0: its place is looked up). ok is false for
// anything else.
func ParseAuditHead(s string) (seq int64, hash string, ok bool) {
	if s == "" {
		return 0, "", false
	}
	if i := strings.IndexByte(s, ':'); i >= 0 {
		n, err := strconv.ParseInt(s[:i], 10, 64)
		if err != nil || n < 0 || s[:i] != strconv.FormatInt(n, 10) {
			return 0, "", false
		}
		seq, s = n, s[i+1:]
	}
	if !isHash(s) {
		return 0, "", false
	}
	return seq, s, true
}

// VerifyAudit recomputes the log's hash chain and checks every head the
// witness recorded (and head, a head recorded earlier as "SEQ:HASH" or
// HASH, when not empty). It names the first entry that breaks: the edited
// one (not a later one), the first missing one, or, for a history edited
// and re-hashed, the first entry whose content differs from what a
// witnessed or recorded head commits to; a tail is reported as truncated
// only when the entries before it are intact. This engine's own entries
// waiting for their group commit are appended first (trying another
// writer's lock once).
func (e *Engine) VerifyAudit(ctx context.Context, head string) (VerifyResult, error) {
	_ = e.appendNow(context.WithoutCancel(ctx), nil, false)
	return e.store.verifyAudit(ctx, e.witnessPath, head)
}

// evidence is a head the chain must hold at seq: recorded by the witness,
// or given by the caller.
type evidence struct {
	seq  int64
	hash string
	from string // "the witness (…)" or "the recorded head"
}

// verifier accumulates the first problem (the lowest entry) of a scan.
type verifier struct {
	res   *VerifyResult
	first int64 // BrokenSeq of the problem kept, -1 for none
}

func (v *verifier) note(seq int64, kind, format string, args ...any) {
	if v.first >= 0 && v.first <= seq {
		return
	}
	v.first = seq
	v.res.OK, v.res.BrokenSeq, v.res.Kind, v.res.Problem = false, seq, kind, fmt.Sprintf(format, args...)
}

func (s *store) verifyAudit(ctx context.Context, witnessPath, head string) (VerifyResult, error) {
	res := VerifyResult{OK: true, Head: GenesisHash, Witness: WitnessCheck{Path: witnessPath}}
	v := &verifier{res: &res, first: -1}

	// The evidence: every witnessed head, and the recorded one.
	wh, found, werr := readWitness(witnessPath)
	res.Witness.Found, res.Witness.Heads = found, wh.heads
	if werr != nil {
		res.Witness.Problem = werr.Error()
	} else if wh.bad > 0 {
		res.Witness.Problem = fmt.Sprintf("%d lines of the witness are not heads (ignored)", wh.bad)
	}
	bySeq := map[int64][]evidence{}
	maxSeq := wh.max
	for seq, list := range wh.bySeq {
		for _, w := range list {
			bySeq[seq] = append(bySeq[seq], evidence{seq: seq, hash: w.hash, from: witnessSource(witnessPath, w)})
		}
	}
	var headSeq int64
	var headHash string
	if head != "" {
		var ok bool
		if headSeq, headHash, ok = ParseAuditHead(head); !ok {
			return res, fmt.Errorf("%q is not an audit head: give SEQ:HASH (or HASH) as qb audit --verify prints it", head)
		}
		if headSeq == 0 && headHash != GenesisHash {
			// A bare hash: its place is known if the witness recorded it.
			for seq, list := range wh.bySeq {
				for _, w := range list {
					if w.hash == headHash {
						headSeq = seq
					}
				}
			}
		}
		if headSeq > 0 {
			bySeq[headSeq] = append(bySeq[headSeq], evidence{seq: headSeq, hash: headHash, from: "the head recorded earlier"})
			maxSeq = max(maxSeq, headSeq)
		}
	}
	headFound := head == "" || headHash == GenesisHash || headSeq > 0

	// Reading and hashing every entry is one statement: past a few
	// million entries it outlasts a statement limit.
	q, end, err := s.d.longRead(ctx, s.db)
	if err != nil {
		return res, s.wrapErr(err)
	}
	defer end()
	rows, err := q.QueryContext(ctx, s.auditSelect()+" ORDER BY seq")
	if err != nil {
		return res, s.wrapErr(err)
	}
	defer rows.Close()
	prev := GenesisHash
	prevSelf := true
	var want int64 = 1
	// lastMatch is the last entry a head vouched for before the first
	// entry a head contradicts (mismatch).
	var lastMatch, mismatch int64
	var mismatchEv evidence
	var mismatchHash string
	for rows.Next() {
		ent, err := scanAudit(rows)
		if err != nil {
			return res, err
		}
		res.Entries++
		if ent.Seq > want {
			witnessed := ""
			for seq := want; seq < ent.Seq && seq < want+1000000; seq++ {
				if len(bySeq[seq]) > 0 {
					witnessed = fmt.Sprintf("; %s names entry %d", bySeq[seq][0].from, seq)
					break
				}
			}
			if ent.Seq == want+1 {
				v.note(want, "missing", "entry %d is missing: entry %d follows entry %d (deleted)%s", want, ent.Seq, want-1, witnessed)
			} else {
				v.note(want, "missing", "entries %d to %d are missing: entry %d follows entry %d (deleted)%s", want, ent.Seq-1, ent.Seq, want-1, witnessed)
			}
		}
		// The formula's number is not itself hashed (each formula's
		// content differs, so 1 and 2 cannot stand for each other); one
		// qb does not know is an edit, not a formula to guess.
		known := ent.HashVersion == hashV1 || ent.HashVersion == hashV2
		self := known && entryHash(&ent) == ent.Hash
		switch {
		case !known:
			v.note(ent.Seq, "edited", "entry %d was edited: it names hash formula %d, which does not exist (1 or 2)", ent.Seq, ent.HashVersion)
		case !self:
			v.note(ent.Seq, "edited", "entry %d was edited: its content does not match its hash", ent.Seq)
		case ent.PrevHash != prev && ent.Seq == want && prevSelf && ent.Seq > 1:
			v.note(ent.Seq-1, "edited", "entry %d was edited and its hash recomputed: entry %d records a different hash for the entry before it", ent.Seq-1, ent.Seq)
		case ent.PrevHash != prev:
			v.note(ent.Seq, "reordered", "entry %d does not chain to the entry before it (entries were deleted, inserted or reordered)", ent.Seq)
		}
		for _, ev := range bySeq[ent.Seq] {
			if ev.hash != ent.Hash && mismatch == 0 {
				mismatch, mismatchEv, mismatchHash = ent.Seq, ev, ent.Hash
			}
		}
		if len(bySeq[ent.Seq]) > 0 && mismatch == 0 {
			lastMatch = ent.Seq
		}
		if !headFound && ent.Hash == headHash {
			headFound = true
		}
		prev, prevSelf, want = ent.Hash, self, ent.Seq+1
		res.Head, res.HeadSeq = ent.Hash, ent.Seq
	}
	if err := rows.Err(); err != nil {
		return res, err
	}
	last := res.HeadSeq
	if mismatch > 0 {
		n, m := mismatch, lastMatch
		if m == n-1 {
			v.note(n, "edited", "entry %d is not the entry recorded earlier: it was edited (or replaced) and the hashes after it recomputed; %s gives its hash as %s, the log's entry %d hashes to %s",
				n, mismatchEv.from, mismatchEv.hash, n, mismatchHash)
		} else {
			v.note(m+1, "rewritten", "the log was rewritten between entries %d and %d: %s gives entry %d the hash %s, the log's entry %d hashes to %s; entries %d to %d were not recorded, so the first changed entry is one of %d to %d",
				m+1, n, mismatchEv.from, n, mismatchEv.hash, n, mismatchHash, m+1, n-1, m+1, n)
		}
	}
	if maxSeq > last {
		var ev evidence
		for seq := maxSeq; seq > last; seq-- {
			if len(bySeq[seq]) > 0 {
				ev = bySeq[seq][0]
				break
			}
		}
		if last == 0 {
			v.note(1, "truncated", "every entry was removed: %s names entry %d", ev.from, ev.seq)
		} else {
			v.note(last+1, "truncated", "entries after %d were removed (truncated tail): %s names entry %d", last, ev.from, ev.seq)
		}
	}
	if !headFound && res.OK {
		res.OK, res.Kind = false, "unknown-head"
		res.Problem = fmt.Sprintf("the recorded head %s is not in the log and the witness does not know its place: entries were removed from the end of the log, or its history was rewritten (give the head as SEQ:HASH to tell which)", headHash)
	}
	return res, nil
}

// witnessSource names a witnessed head for a problem message.
func witnessSource(path string, w witnessed) string {
	var when []string
	if w.at != "" {
		when = append(when, "at "+w.at)
	}
	if w.pid != "" {
		when = append(when, "by process "+w.pid)
	}
	src := fmt.Sprintf("the witness %s (line %d", path, w.line)
	if len(when) > 0 {
		src += ", " + strings.Join(when, " ")
	}
	return src + ")"
}
