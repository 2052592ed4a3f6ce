package store

import "database/sql"

// Collect reads every row of a query with scan, which fills one value from
// the current row, and closes the rows. It takes the query's own results,
// so that a failed query is its error:
//
//	rows, err := db.QueryContext(ctx, q, args...)
//	out, err := store.Collect(rows, err, func(rs *sql.Rows, v *T) error { return rs.Scan(&v.A, &v.B) })
func Collect[T any](rows *sql.Rows, err error, scan func(*sql.Rows, *T) error) ([]T, error) {
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []T
	for rows.Next() {
		var v T
		if err := scan(rows, &v); err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	return out, rows.Err()
}

// Values returns n values for a row of any columns, and the destinations
// that fill them: after rows.Scan(dest...), vals[i] holds column i's value
// as the driver gave it.
func Values(n int) (vals, dest []any) {
	vals = make([]any, n)
	dest = make([]any, n)
	for i := range vals {
		dest[i] = &vals[i]
	}
	return vals, dest
}
