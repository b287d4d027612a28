import Foundation

/// Buffered standard output: large expansions print without a system call per line.
struct StandardOutput: TextOutputStream {
    private var buffer: [UInt8] = []
    private static let flushThreshold = 1 << 16

    mutating func write(_ string: String) {
        buffer.append(contentsOf: string.utf8)
        if buffer.count >= Self.flushThreshold { flush() }
    }

    mutating func flush() {
        guard !buffer.isEmpty else { return }
        FileHandle.standardOutput.write(Data(buffer))
        buffer.removeAll(keepingCapacity: true)
    }
}
