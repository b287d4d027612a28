import Foundation
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// A process a test started: posix_spawn (Foundation's Process did not always reap children
/// here), never through a shell, stdout and stderr appended to a log file. Every live one is
/// also in `ProcessRegistry`, which kills what is left when the test process exits, so a
/// test that fails or is cancelled half-way leaves nothing running.
final class ManagedProcess: Sendable {
    /// The process id.
    let pid: pid_t
    /// What it runs, for messages.
    let name: String
    /// Where its output goes.
    let logFile: String
    private let exitStatus = Mutex<Int32?>(nil)

    /// Why a program could not be started.
    struct SpawnError: Error, CustomStringConvertible {
        var description: String
    }

    /// Starts `argv` (argv[0] is a path) with `environment` added to this process's own.
    init(name: String, argv: [String], environment: [String: String], logFile: String) throws {
        var merged = ProcessInfo.processInfo.environment
        for (key, value) in environment { merged[key] = value }
        let envp = merged.map { "\($0.key)=\($0.value)" }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, logFile, O_WRONLY | O_CREAT | O_APPEND, 0o644)
        posix_spawn_file_actions_adddup2(&actions, 1, 2)
        // As from a shell: no signal blocked, SIGTERM, SIGINT and SIGPIPE at their defaults.
        // The test runner's threads block most signals, and a child inherits that mask; a
        // program that handles SIGTERM with an ordinary handler (Python's signal module,
        // say) would then never see it.
        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        var defaultSignals = sigset_t()
        sigemptyset(&defaultSignals)
        for number in [SIGTERM, SIGINT, SIGPIPE] { sigaddset(&defaultSignals, number) }
        posix_spawnattr_setsigdefault(&attributes, &defaultSignals)
        var noSignals = sigset_t()
        sigemptyset(&noSignals)
        posix_spawnattr_setsigmask(&attributes, &noSignals)
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSIGMASK))
        var pid: pid_t = 0
        let status = Self.withCStrings(argv) { argvPointers in
            Self.withCStrings(envp) { envPointers in
                posix_spawn(&pid, argv[0], &actions, &attributes, argvPointers, envPointers)
            }
        }
        guard status == 0 else { throw SpawnError(description: "cannot start \(argv[0]): \(String(cString: strerror(status)))") }
        self.pid = pid
        self.name = name
        self.logFile = logFile
        ProcessRegistry.shared.add(pid)
    }

    /// Sends a signal (nothing once the process has been reaped).
    func signal(_ signal: Int32) {
        guard exitStatus.withLock({ $0 }) == nil else { return }
        kill(pid, signal)
    }

    /// The exit status (128 + signal when killed) if it has ended; reaps it.
    func poll() -> Int32? {
        exitStatus.withLock { status in
            if let status { return status }
            var raw: Int32 = 0
            let result = waitpid(pid, &raw, WNOHANG)
            guard result == pid else { return nil }
            status = (raw & 0x7F) == 0 ? (raw >> 8) & 0xFF : 128 + (raw & 0x7F)
            ProcessRegistry.shared.remove(pid)
            return status
        }
    }

    /// Whether it still runs.
    var isRunning: Bool { poll() == nil }

    /// Waits up to `timeout` for it to end by itself; the exit status, or nil if it still runs.
    func waitForExit(timeout: Duration) async -> Int32? {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            if let status = poll() { return status }
            try? await Task.sleep(for: .milliseconds(20))
        }
        return poll()
    }

    /// SIGKILL and reap (blocks for the moment the kernel takes). Idempotent.
    func killAndReap() {
        exitStatus.withLock { status in
            guard status == nil else { return }
            kill(pid, SIGKILL)
            var raw: Int32 = 0
            while waitpid(pid, &raw, 0) < 0, errno == EINTR {}
            status = (raw & 0x7F) == 0 ? (raw >> 8) & 0xFF : 128 + (raw & 0x7F)
            ProcessRegistry.shared.remove(pid)
        }
    }

    /// SIGTERM, then SIGKILL if it has not ended within `grace`; returns the exit status.
    @discardableResult
    func terminate(grace: Duration = .seconds(10)) async -> Int32? {
        signal(SIGTERM)
        if let status = await waitForExit(timeout: grace) { return status }
        killAndReap()
        return poll()
    }

    /// The last `bytes` of its log.
    func logTail(bytes: Int = 4_000) -> String {
        guard let data = FileManager.default.contents(atPath: logFile) else { return "(no log)" }
        return String(decoding: data.suffix(bytes), as: UTF8.self)
    }

    private static func withCStrings<R>(_ strings: [String], _ body: ([UnsafeMutablePointer<CChar>?]) -> R) -> R {
        let pointers = strings.map { strdup($0) } + [nil]
        defer { pointers.forEach { free($0) } }
        return body(pointers)
    }
}

/// Every child still running, killed (SIGKILL) when the test process exits.
final class ProcessRegistry: Sendable {
    static let shared: ProcessRegistry = {
        let registry = ProcessRegistry()
        atexit { ProcessRegistry.shared.killAll() }
        return registry
    }()

    private let pids = Mutex<Set<pid_t>>([])

    func add(_ pid: pid_t) { _ = pids.withLock { $0.insert(pid) } }
    func remove(_ pid: pid_t) { _ = pids.withLock { $0.remove(pid) } }

    func killAll() {
        for pid in pids.withLock({ $0 }) { kill(pid, SIGKILL) }
    }
}
