package engine

import (
	"context"

	"quickback.dev/qb/schema"
)

// Optimistic writes: an update, a delete or a record action conditioned on
// the row being as the caller last saw it (WriteOptions.IfUnmodifiedSince),
// so a change made in between — by another console, the command line or a
// backend — is never silently overwritten (ROW_CHANGED, SPEC §6).

// lastChange is when the stored row raw last changed: its modifiedAt, or
// its createdAt when it was never modified ("" when neither is set), read
// in the column's own format.
func lastChange(t *schema.Table, raw []any) string {
	for _, name := range []string{"modifiedAt", "createdAt"} {
		if i := columnIndex(t, name); i >= 0 {
			if s, ok := fromSQL(t.Columns[i], raw[i]).(string); ok && s != "" {
				if norm, ok := ParseTime(s); ok {
					return norm
				}
				return s
			}
		}
	}
	return ""
}

// LastChange is when the row last changed as the caller sees it: its
// modifiedAt, or its createdAt when it was never modified; "" when neither
// is set or visible. Passed back as WriteOptions.IfUnmodifiedSince, it
// makes a write apply only to the row as it was when it was read.
func (r Row) LastChange() string {
	for _, name := range []string{"modifiedAt", "createdAt"} {
		if r.IsMasked(name) {
			return ""
		}
		if s, ok := r.Get(name).(string); ok && s != "" {
			if norm, ok := ParseTime(s); ok {
				return norm
			}
			return s
		}
	}
	return ""
}

// parseSince checks an IfUnmodifiedSince value and returns it in the stored
// form ("" when unset).
func parseSince(since string) (string, error) {
	if since == "" {
		return "", nil
	}
	norm, ok := ParseTime(since)
	if !ok {
		return "", Errf(ValidationFailed, map[string]any{"ifUnmodifiedSince": since},
			"if-unmodified-since: %q is not an ISO-8601 timestamp", since)
	}
	return norm, nil
}

// checkUnmodified refuses with ROW_CHANGED when the row raw (read inside the
// write's transaction) changed after since. The refusal names when and by
// whom only to a caller who may get the row, as it would see them.
func (e *Engine) checkUnmodified(ctx context.Context, q querier, t *schema.Table, id Identity, rowID string, raw []any, since string) error {
	if since == "" {
		return nil
	}
	changed := lastChange(t, raw)
	if changed == "" || changed <= since {
		return nil
	}
	details := map[string]any{"table": t.Name, "id": rowID, "ifUnmodifiedSince": since}
	if ok, err := e.mayGet(ctx, q, t, id, rowID); err != nil {
		return err
	} else if ok {
		row := e.present(t, e.maskPlanFor(t, id), id, raw)
		if at := row.LastChange(); at != "" {
			details["modifiedAt"] = at
			by := "createdBy"
			if row.Get("modifiedAt") != nil {
				by = "modifiedBy"
			}
			if who, ok := row.Get(by).(string); ok && !row.IsMasked(by) {
				details["modifiedBy"] = who
				return Errf(RowChanged, details, "%s %q changed since %s: it was written at %s by %s; read it again and retry", t.Name, rowID, since, at, who)
			}
			return Errf(RowChanged, details, "%s %q changed since %s: it was written at %s; read it again and retry", t.Name, rowID, since, at)
		}
	}
	return Errf(RowChanged, details, "%s %q changed since %s; read it again and retry", t.Name, rowID, since)
}
