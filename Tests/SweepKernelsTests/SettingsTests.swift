import SweepCore
import SweepWorker
import Testing
@testable import SweepKernels

/// Invalid settings are refused before any work, with a message naming the setting, the
/// value and what is accepted.
@Suite("Settings")
struct SettingsTests {
    static func refusal(_ params: [String: ParamValue], kernel: any Kernel = MLPTrainKernel()) async -> String? {
        do {
            _ = try await kernel.run(kernelContext(params: params, maxSteps: 1))
            return nil
        } catch let error as KernelError {
            return error.description
        } catch {
            return "unexpected \(error)"
        }
    }

    @Test(arguments: [
        (["activation": .string("swish")] as [String: ParamValue], "unknown activation \"swish\"; accepted: relu, gelu, tanh, sigmoid"),
        (["width": .int(0)], "'width' must be between 1 and"),
        (["width": .int(-3)], "'width' must be between 1 and"),
        (["width": .double(2.5)], "'width' must be an integer"),
        (["depth": .string("two")], "'depth' must be an integer"),
        (["lr": .double(.nan)], "'lr' must be a finite number > 0, found nan"),
        (["lr": .double(.infinity)], "'lr' must be a finite number > 0"),
        (["lr": .int(0)], "'lr' must be a finite number > 0, found 0"),
        (["lr": .string("fast")], "'lr' must be a number > 0"),
        (["optimizer": .string("rmsprop")], "unknown optimizer \"rmsprop\"; accepted: sgd, adam, adamw"),
        (["schedule": .string("step")], "unknown schedule \"step\"; accepted: constant, cosine, linear"),
        (["dataset": .string("mnist")], "unknown dataset \"mnist\"; accepted: digits, teacher-student"),
        (["batch_size": .int(0)], "'batch_size' must be between 1 and"),
        (["momentum": .double(1)], "'momentum' must be a finite number in [0, 1)"),
        (["weight_decay": .double(-0.1)], "'weight_decay' must be a finite number ≥ 0"),
        (["steps": .int(10), "epochs": .int(2)], "give 'steps' or 'epochs', not both"),
        (["widht": .int(64)], "unknown setting 'widht'; accepted:"),
        (["noise": .double(0.1)], "'noise' applies to dataset teacher-student, not digits"),
        (["min_lr": .double(0.5)], "'min_lr' must be a finite number ≥ 0 and ≤ lr"),
        (["threads": .int(0)], "'threads' must be between 1 and"),
    ])
    func mlpTrainRefuses(_ params: [String: ParamValue], _ expected: String) async {
        let message = await Self.refusal(params)
        #expect(message?.hasPrefix("mlp-train: ") == true)
        #expect(message?.contains(expected) == true, "\(message ?? "accepted")")
    }

    @Test func aHugeModelIsRefusedBeforeAllocating() async {
        let message = await Self.refusal(["width": .int(60_000), "depth": .int(60)])
        #expect(message?.contains("use a smaller model") == true, "\(message ?? "accepted")")
    }

    @Test func mlpInferRefusesBadBatchSizesAndModels() async {
        let kernel = MLPInferKernel()
        #expect(await Self.refusal(["batch_sizes": .array([.int(8), .int(0)])], kernel: kernel)?.contains("'batch_sizes' must be an integer or a list of integers between 1 and") == true)
        #expect(await Self.refusal(["model": .string("pretrained")], kernel: kernel)?.contains("unknown model \"pretrained\"; accepted: fresh, trained") == true)
        #expect(await Self.refusal(["activation": .string("elu")], kernel: kernel)?.hasPrefix("mlp-infer: unknown activation") == true)
    }

    @Test func jobParametersOverrideKernelSettings() throws {
        var reader = SettingsReader(kernel: "mlp-train", params: .object(["width": .int(16)]), settings: ["width": .int(8), "depth": .int(3)])
        let settings = try TrainingSettings(reading: &reader, replicateSeed: 0, maxSteps: nil)
        #expect(settings.width == 16)
        #expect(settings.depth == 3)
        try reader.refuseUnknown()
    }

    @Test func integralDoublesAreIntegers() throws {
        var reader = SettingsReader(kernel: "k", params: .object(["width": .double(32)]), settings: [:])
        #expect(try reader.integer("width", default: 1, in: 1...64) == 32)
    }
}
