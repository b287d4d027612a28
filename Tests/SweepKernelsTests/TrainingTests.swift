import SweepCore
import SweepWorker
import Testing
@testable import SweepKernels

/// mlp-train end to end: it learns, it is deterministic, it stops when asked.
@Suite("mlp-train", .timeLimit(.minutes(2)))
struct TrainingTests {
    @Test func learnsTheDigits() async throws {
        let reports = Reports()
        let final = try await MLPTrainKernel().run(kernelContext(
            params: ["width": .int(32), "lr": .double(0.01), "epochs": .int(4)], settings: ["dataset": .string("digits")], reports: reports))
        let losses = reports.series("val_loss")
        #expect(losses.count == 4)
        #expect(losses.last! < losses.first!)
        #expect(losses.first! < Double.logarithm(10))
        #expect(try #require(final["val_accuracy"]) > 0.85)
        let parameters: Double = 64 * 32 + 32 + 32 * 10 + 10
        #expect(final["params"] == parameters)
        let samples: Double = 4 * 22 * 64
        #expect(final["samples_seen"] == samples)
        #expect(reports.steps == [22, 44, 66, 88])
        for name in ["train_loss", "train_accuracy", "val_loss", "val_accuracy", "samples_seen", "epoch", "lr", "params"] {
            #expect(reports.all.allSatisfy { $0.values[name] != nil }, "\(name) is reported at every evaluation")
        }
    }

    @Test(arguments: OptimizerKind.allCases, ScheduleKind.allCases)
    func everyOptimizerAndScheduleLowersTheLoss(_ optimizer: OptimizerKind, _ schedule: ScheduleKind) async throws {
        let reports = Reports()
        var settings = smallTeacherStudent
        settings["optimizer"] = .string(optimizer.rawValue)
        settings["schedule"] = .string(schedule.rawValue)
        settings["lr"] = .double(optimizer == .sgd ? 0.05 : 0.005)
        settings["warmup_steps"] = .int(10)
        settings["weight_decay"] = .double(1e-4)
        _ = try await MLPTrainKernel().run(kernelContext(settings: settings, maxSteps: 160, reports: reports))
        let losses = reports.series("val_loss")
        #expect(losses.count == 10)
        #expect(losses.last! < losses.first! * 0.9, "\(optimizer) with \(schedule): \(losses)")
    }

    @Test func studentLossFallsWithWidth() async throws {
        var finals: [Double] = []
        for width: Int64 in [2, 64] {
            var settings = smallTeacherStudent
            settings["width"] = .int(width)
            settings["lr"] = .double(0.01)
            let final = try await MLPTrainKernel().run(kernelContext(settings: settings, maxSteps: 300))
            finals.append(try #require(final["val_loss"]))
        }
        #expect(finals[1] < finals[0])
    }

    @Test(arguments: Activation.allCases)
    func isDeterministicForASeed(_ activation: Activation) async throws {
        func run(seed: Int64) async throws -> [(step: Int64, values: [String: Double])] {
            let reports = Reports()
            var settings = smallTeacherStudent
            settings["activation"] = .string(activation.rawValue)
            settings["eval_every"] = .int(10)
            _ = try await MLPTrainKernel().run(kernelContext(settings: settings, seed: seed, maxSteps: 30, reports: reports))
            return reports.all
        }
        let first = try await run(seed: 3)
        let second = try await run(seed: 3)
        let other = try await run(seed: 4)
        #expect(first.map(\.step) == second.map(\.step))
        #expect(first.map(\.values) == second.map(\.values))
        #expect(first.map(\.values) != other.map(\.values))
    }

    @Test func teacherAndDataDoNotDependOnTheJobSeed() {
        var task = TeacherStudentTask()
        task.trainSamples = 64
        task.validationSamples = 16
        #expect(task.generate() == task.generate())
        let labels = Set(task.generate().train.labels)
        #expect(labels.count > 3, "centred teacher logits spread the labels over the classes")
        task.dataSeed = 1
        #expect(task.generate() != TeacherStudentTask().generate())
    }

    @Test func stopsBetweenStepsWhenAsked() async throws {
        let stop = StopFlag()
        let reports = Reports()
        let context = KernelContext(params: .object([:]), settings: ["eval_every": .int(5)], seed: 0, maxSteps: 1000, stopFlag: stop) { step, values in
            reports.add(step, values)
            if step >= 10 { stop.set() }
        }
        let final = try await MLPTrainKernel().run(context)
        #expect(reports.steps == [5, 10])
        let samples: Double = 10 * 64
        #expect(final["samples_seen"] == samples)
    }

    @Test func maxStepsBoundsStepsAndEpochs() throws {
        var settings = TrainingSettings()
        settings.epochs = 3
        #expect(settings.totalSteps(trainCount: 1437) == 66)
        settings.maxSteps = 50
        #expect(settings.totalSteps(trainCount: 1437) == 50)
        settings.epochs = nil
        #expect(settings.totalSteps(trainCount: 1437) == 50)
        settings.maxSteps = nil
        #expect(settings.totalSteps(trainCount: 1437) == 220)
        settings.batchSize = 5000
        #expect(settings.effectiveBatchSize(trainCount: 1437) == 1437)
    }

    @Test func theRegistryOffersTheTrainingKernels() {
        let registry = KernelRegistry.withTrainingKernels
        #expect(registry.names == ["mlp-infer", "mlp-train", "noop", "sleep", "synthetic-curve"])
    }
}
