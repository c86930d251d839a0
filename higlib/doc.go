// Package higlib is the root of the library; it holds no code. Its packages,
// from the bottom up:
//
//   - halfinv: the half-inverse V·diag(σ^(−κ))·Uᵀ·g of a stacked Jacobian
//     (truncated or clamped), by a reference SVD and a fast Solver.
//   - nn: the Network interface (forward pass, per-sample Jacobian rows,
//     backpropagation, hidden units) and the MLP; nn/nntest checks a user's
//     network.
//   - physics: the Map interface of a differentiable simulator
//     y = P(x, z) with value, Jacobian and optional VJP in one Evaluator per
//     goroutine; the toy's Scale and a Linear stand-in; physics/physicstest
//     checks a user's simulator.
//   - oscillator: the paper's chain of coupled nonlinear oscillators (RK4,
//     adjoint Jacobian), a physics.Map.
//   - dipole: the paper's quantum dipole, a particle in a well driven by a
//     field (Crank–Nicolson, adjoint Jacobian), a physics.Map, with its
//     infidelity loss and targets.
//   - objective: a network followed by a map, with the batch mean of a
//     per-sample Loss (½‖y − ŷ‖² by default), its gradient and the stacked
//     (b·d) × P Jacobian with row i·d + k; objective/losstest checks a
//     user's loss.
//   - optim: gradient descent, Adam and the half-inverse step (κ = ½ HIG,
//     κ = 1 Gauss-Newton), each a Method.
//   - train: the training loop with Settings, Recorders (validation loss,
//     saturation, tracked sample, history) and a Result.
//   - experiment: fair comparisons of Candidates (optimizers under study) on
//     a problem (tuning seeds, evaluation seeds, medians, tables, figures).
//   - figure: the chapter's three-panel figure and plotting helpers that
//     never panic.
//   - toy: the chapter's toy problem defined on the packages above.
//   - qcontrol: the paper's quantum-dipole experiment on dipole and
//     experiment (targets, network, a study of Adam and HIG by step budgets
//     or wall-clock time, its figures).
//   - stepcost: problem shapes and timing of a step, for benchmarks and
//     `hig scaling`.
//
// The command cmd/hig and the notebooks are front-ends over these packages.
package higlib
