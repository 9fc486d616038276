"""The master solution engine: every solution of chapter 28's exercises.

Notebooks take their code from these modules; the hidden tests take their
expected values from them.  One idea per module:

* `engine`          the reverse-mode `Value` (with sigmoid)
* `gradcheck`       central differences and relative errors
* `dual`            forward mode with dual numbers
* `manual_backward` the hand-derived backward pass of (x+y)*z + exp(x*z)
* `mlp`             the MLP with per-layer activations, its loss and training
* `op_counting`     counting operations; the cheap gradient ratios
* `checkpointing`   the cycle-free engine and checkpointed backprop
"""
