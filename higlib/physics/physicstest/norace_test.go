//go:build !race

package physicstest_test

const raceEnabled = false
