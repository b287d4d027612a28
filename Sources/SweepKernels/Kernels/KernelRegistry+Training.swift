public import SweepWorker

extension KernelRegistry {
    /// The worker's built-in kernels (noop, sleep, synthetic-curve) plus `mlp-train` and
    /// `mlp-infer`: what `sweep worker` offers.
    public static var withTrainingKernels: KernelRegistry {
        var registry = KernelRegistry.builtIn
        registry.register(MLPTrainKernel())
        registry.register(MLPInferKernel())
        return registry
    }
}
