import Foundation
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// A user program started for one attempt: posix_spawn, never a shell, in a process group
/// of its own (so a stop reaches its children), with stdout, stderr and a metrics pipe read
/// by threads of their own.
final class ChildProcess: Sendable {
    /// What the program printed, line by line.
    enum Output: Sendable {
        case stdout(String)
        case stderr(String)
        case metrics(String)
    }

    /// Why the program could not be started.
    struct LaunchError: Error, CustomStringConvertible {
        var description: String
    }

    /// The process id (also its process group id).
    let pid: pid_t
    private let exit = ExitState()

    /// The exit status once known; shared with the thread that waits for it.
    private final class ExitState: Sendable {
        let status = Mutex<Int32?>(nil)
    }

    /// Starts `argv` in `directory` with `environment`; `output` hears every line (from
    /// reader threads), `onExit` the exit status (128+signal when killed) after all output.
    init(argv: [String], directory: String, environment: [String: String],
         output: @escaping @Sendable (Output) -> Void, onExit: @escaping @Sendable (Int32) -> Void) throws {
        guard !argv.isEmpty else { throw LaunchError(description: "empty command") }
        var stdoutPipe: [Int32] = [0, 0], stderrPipe: [Int32] = [0, 0], metricsPipe: [Int32] = [0, 0]
        guard pipe(&stdoutPipe) == 0, pipe(&stderrPipe) == 0, pipe(&metricsPipe) == 0 else {
            throw LaunchError(description: "cannot create pipes: \(String(cString: strerror(errno)))")
        }
        for fd in stdoutPipe + stderrPipe + metricsPipe { _ = fcntl(fd, F_SETFD, FD_CLOEXEC) }

        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_adddup2(&actions, stdoutPipe[1], 1)
        posix_spawn_file_actions_adddup2(&actions, stderrPipe[1], 2)
        posix_spawn_file_actions_adddup2(&actions, metricsPipe[1], 3)
        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        posix_spawnattr_setpgroup(&attributes, 0)
        var defaultSignals = sigset_t()
        sigemptyset(&defaultSignals)
        sigaddset(&defaultSignals, SIGTERM)
        sigaddset(&defaultSignals, SIGINT)
        sigaddset(&defaultSignals, SIGPIPE)
        posix_spawnattr_setsigdefault(&attributes, &defaultSignals)
        var noSignals = sigset_t()
        sigemptyset(&noSignals)
        posix_spawnattr_setsigmask(&attributes, &noSignals)
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSIGMASK))

        // `env -C DIR` changes directory and looks the program up in PATH, then execs it:
        // posix_spawn has no portable chdir.
        let fullArgv = ["/usr/bin/env", "-C", directory, "--"] + argv
        var merged = environment
        merged["SWEEP_METRICS_FD"] = "3"
        let envp = merged.map { "\($0.key)=\($0.value)" }
        var pid: pid_t = 0
        let status = Self.withCStrings(fullArgv) { argvPointers in
            Self.withCStrings(envp) { envPointers in
                posix_spawn(&pid, "/usr/bin/env", &actions, &attributes, argvPointers, envPointers)
            }
        }
        close(stdoutPipe[1])
        close(stderrPipe[1])
        close(metricsPipe[1])
        guard status == 0 else {
            for fd in [stdoutPipe[0], stderrPipe[0], metricsPipe[0]] { close(fd) }
            throw LaunchError(description: "cannot start \(argv[0]): \(String(cString: strerror(status)))")
        }
        self.pid = pid
        let child = pid

        let readers = DispatchGroup()
        for (fd, wrap) in [(stdoutPipe[0], Output.stdout), (stderrPipe[0], Output.stderr), (metricsPipe[0], Output.metrics)] as [(Int32, @Sendable (String) -> Output)] {
            readers.enter()
            let thread = Thread {
                Self.readLines(from: fd) { output(wrap($0)) }
                close(fd)
                readers.leave()
            }
            thread.name = "sweep.job.reader"
            thread.start()
        }
        let exitState = exit
        let waiter = Thread {
            var raw: Int32 = 0
            while waitpid(child, &raw, 0) < 0, errno == EINTR {}
            let code: Int32 = (raw & 0x7F) == 0 ? (raw >> 8) & 0xFF : 128 + (raw & 0x7F)
            exitState.status.withLock { $0 = code }
            // Children of the program may keep the pipes open; give them a moment, then report.
            _ = readers.wait(timeout: .now() + 2)
            onExit(code)
        }
        waiter.name = "sweep.job.wait"
        waiter.start()
    }

    /// Sends a signal to the whole process group.
    func signal(_ signal: Int32) {
        guard exit.status.withLock({ $0 }) == nil else { return }
        kill(-pid, signal)
    }

    /// Whether the program has exited.
    var hasExited: Bool { exit.status.withLock { $0 } != nil }

    private static func readLines(from fd: Int32, _ line: (String) -> Void) {
        var buffer = [UInt8](repeating: 0, count: 65_536)
        var pending: [UInt8] = []
        while true {
            let count = read(fd, &buffer, buffer.count)
            if count < 0, errno == EINTR { continue }
            if count <= 0 { break }
            var start = 0
            for index in 0..<count where buffer[index] == 0x0A {
                pending.append(contentsOf: buffer[start..<index])
                line(String(decoding: pending, as: UTF8.self))
                pending.removeAll(keepingCapacity: true)
                start = index + 1
            }
            pending.append(contentsOf: buffer[start..<count])
            // A line longer than 1 MiB is cut, so one chatty program cannot exhaust memory.
            if pending.count > 1 << 20 {
                line(String(decoding: pending, as: UTF8.self))
                pending.removeAll(keepingCapacity: true)
            }
        }
        if !pending.isEmpty { line(String(decoding: pending, as: UTF8.self)) }
    }

    private static func withCStrings<R>(_ strings: [String], _ body: ([UnsafeMutablePointer<CChar>?]) -> R) -> R {
        let pointers = strings.map { strdup($0) } + [nil]
        defer { pointers.forEach { free($0) } }
        return body(pointers)
    }
}
