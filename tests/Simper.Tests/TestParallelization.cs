// Test classes run one at a time. TorchSharp 0.107 turns every number handed to an op (x * 0.5) into a Scalar that
// only its finalizer frees, and the native call does not keep the managed object alive: a collection triggered on
// another thread (the trainer forces one every step) can finalize a Scalar while libtorch is still reading it
// ("Unknown scalar type", INTERNAL ASSERT in Scalar.h). One training per process is safe, which is how the command
// line and the demo's side-by-side runs (separate processes) work; test classes running in parallel threads are not.
[assembly: Xunit.CollectionBehavior(DisableTestParallelization = true)]
