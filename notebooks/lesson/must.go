package lesson

// Must returns v, or panics with err if it is not nil. In a notebook cell a
// panic fails the cell and shows the error, which is what a reader needs
// when a setting is refused.
func Must[T any](v T, err error) T {
	if err != nil {
		panic(err)
	}
	return v
}

// Must2 is Must for functions with two results.
func Must2[A, B any](a A, b B, err error) (A, B) {
	if err != nil {
		panic(err)
	}
	return a, b
}
