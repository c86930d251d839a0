// Package lesson holds the computations and figures of notebooks 01, 02 and
// 03 that teach nothing by themselves: drawing a diagram, looking up tuned
// learning rates, running a sweep of training runs, laying out a plot. The
// notebook cells keep what the reader should see written out (stacking a
// Jacobian, the singular-value weights of a step) and call this package for
// the rest, so that every cell stays short and the plumbing is tested here.
//
// The formulas are those of Schnell, Holl & Thuerey, "Half-Inverse
// Gradients for Physical Deep Learning" (ICLR 2022), eq. 5, and of the
// "Half-Inverse Gradients" chapter of the Physics-based Deep Learning book;
// the notebooks derive them.
package lesson
