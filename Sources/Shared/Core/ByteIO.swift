#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Errors from opening, reading and writing files and pipes.
public enum IOFailure: ToolFailure {
  case cannotOpen(path: String, errno: Int32)
  case readFailed(path: String, errno: Int32)
  case writeFailed(path: String, errno: Int32)
  case cannotCreate(path: String, errno: Int32)
  /// The reader downstream went away (`| head`). Tools end quietly with status 0.
  case brokenPipe

  public var description: String {
    switch self {
    case let .cannotOpen(path, code): return "\(path): cannot open: \(errorText(code))"
    case let .readFailed(path, code): return "\(path): read failed: \(errorText(code))"
    case let .writeFailed(path, code): return "\(path): write failed: \(errorText(code))"
    case let .cannotCreate(path, code): return "\(path): cannot create: \(errorText(code))"
    case .brokenPipe: return "broken pipe"
    }
  }

  public var exitCode: Int32 {
    switch self {
    case .cannotOpen: return ExitStatus.noInput
    case .readFailed, .writeFailed: return ExitStatus.ioError
    case .cannotCreate: return ExitStatus.cannotCreate
    case .brokenPipe: return 0
    }
  }
}

/// The C library's text for an errno value (`strerror`).
public func errorText(_ code: Int32) -> String {
  String(cString: strerror(code))
}

/// A source of bytes: a file, a pipe, or memory.
public protocol ByteInput: AnyObject {
  /// How messages name this input: a path, or `<stdin>`.
  var name: String { get }
  /// Reads up to `buffer.count` bytes; returns 0 only at the end of the input.
  func read(into buffer: UnsafeMutableRawBufferPointer) throws -> Int
  /// Reads the whole remaining input.
  func readToEnd() throws -> [UInt8]
}

extension ByteInput {
  /// Reads until `buffer` is full or the input ends; returns the number of bytes read.
  @inlinable
  public func readFully(into buffer: UnsafeMutableRawBufferPointer) throws -> Int {
    var filled = 0
    while filled < buffer.count {
      let got = try read(into: UnsafeMutableRawBufferPointer(rebasing: buffer[filled...]))
      if got == 0 { break }
      filled += got
    }
    return filled
  }

  /// Reads the whole remaining input.
  public func readToEnd() throws -> [UInt8] {
    try readToEnd(expectedSize: 1 << 16)
  }

  /// Reads the whole remaining input into one buffer sized for `expectedSize` bytes,
  /// grown by doubling only if the input is longer. The buffer is not zero-filled first.
  func readToEnd(expectedSize: Int) throws -> [UInt8] {
    var bytes: [UInt8] = []
    var capacity = max(expectedSize, 64)
    while true {
      let filled = bytes.count
      let more = try [UInt8](unsafeUninitializedCapacity: capacity) { buffer, initialized in
        if filled > 0 { _ = buffer.initialize(from: bytes) }
        initialized = filled + (try readFully(into: UnsafeMutableRawBufferPointer(rebasing: UnsafeMutableRawBufferPointer(buffer)[filled...])))
      }
      bytes = more
      if bytes.count < capacity { return bytes }
      capacity *= 2
    }
  }
}

/// A file or standard input, read with `read(2)`.
public final class FileInput: ByteInput {
  public let name: String
  private let descriptor: Int32
  private let ownsDescriptor: Bool

  /// Opens `path` for reading; `-` means standard input.
  public init(path: String) throws {
    if path == "-" {
      name = "<stdin>"
      descriptor = 0
      ownsDescriptor = false
      return
    }
    let fd = open(path, O_RDONLY | O_CLOEXEC)
    guard fd >= 0 else { throw IOFailure.cannotOpen(path: path, errno: errno) }
    var info = stat()
    if fstat(fd, &info) == 0 && (info.st_mode & S_IFMT) == S_IFDIR {
      close(fd)
      throw IOFailure.cannotOpen(path: path, errno: EISDIR)
    }
    name = path
    descriptor = fd
    ownsDescriptor = true
  }

  deinit {
    if ownsDescriptor { close(descriptor) }
  }

  /// The whole remaining file in one read when its size is known.
  public func readToEnd() throws -> [UInt8] {
    // One byte more than the size, so the first read already sees the end.
    try readToEnd(expectedSize: regularFileSize.map { $0 + 1 } ?? 1 << 16)
  }

  /// The size of a regular file, or nil for a pipe.
  public var regularFileSize: Int? {
    var info = stat()
    guard fstat(descriptor, &info) == 0, (info.st_mode & S_IFMT) == S_IFREG else { return nil }
    return Int(info.st_size)
  }

  public func read(into buffer: UnsafeMutableRawBufferPointer) throws -> Int {
    while true {
      let got = Glibc.read(descriptor, buffer.baseAddress, buffer.count)
      if got >= 0 { return got }
      if errno == EINTR { continue }
      throw IOFailure.readFailed(path: name, errno: errno)
    }
  }

  /// Reads `buffer.count` bytes at `offset` (`pread(2)`); returns how many were read.
  public func read(into buffer: UnsafeMutableRawBufferPointer, at offset: Int) throws -> Int {
    var filled = 0
    while filled < buffer.count {
      let got = pread(descriptor, buffer.baseAddress! + filled, buffer.count - filled, off_t(offset + filled))
      if got == 0 { break }
      if got < 0 {
        if errno == EINTR { continue }
        throw IOFailure.readFailed(path: name, errno: errno)
      }
      filled += got
    }
    return filled
  }
}

/// Bytes already in memory, read as if from a file (tests, fuzzing, decoded gzip).
public final class MemoryInput: ByteInput {
  public let name: String
  private let bytes: [UInt8]
  private var position = 0

  public init(_ bytes: [UInt8], name: String = "<memory>") {
    self.bytes = bytes
    self.name = name
  }

  public func read(into buffer: UnsafeMutableRawBufferPointer) throws -> Int {
    let count = min(buffer.count, bytes.count - position)
    guard count > 0 else { return 0 }
    bytes.withUnsafeBytes { source in
      buffer.baseAddress!.copyMemory(from: source.baseAddress! + position, byteCount: count)
    }
    position += count
    return count
  }
}

/// Bytes already read from an input (to look at its first bytes), then the rest of it.
public final class PrefixedInput: ByteInput {
  private var prefix: [UInt8]
  private let source: ByteInput

  public init(prefix: [UInt8], then source: ByteInput) {
    self.prefix = prefix
    self.source = source
  }

  public var name: String { source.name }

  public func read(into buffer: UnsafeMutableRawBufferPointer) throws -> Int {
    guard !prefix.isEmpty else { return try source.read(into: buffer) }
    let count = min(buffer.count, prefix.count)
    prefix.withUnsafeBytes { buffer.baseAddress!.copyMemory(from: $0.baseAddress!, byteCount: count) }
    prefix.removeFirst(count)
    return count
  }
}

/// A destination for bytes.
public protocol ByteOutput: AnyObject {
  var name: String { get }
  /// Writes all of `bytes` or throws.
  func write(_ bytes: UnsafeRawBufferPointer) throws
}

/// Standard output or an already open descriptor, written with `write(2)`.
///
/// A closed pipe (EPIPE) throws `IOFailure.brokenPipe`; tools ignore SIGPIPE so that they
/// see it (`ToolMain`), and end quietly.
public final class FileOutput: ByteOutput {
  public let name: String
  let descriptor: Int32

  /// Standard output. When it is a pipe, its buffer is enlarged to 1 MiB (where the system
  /// allows): with the default 64 KiB, a tool writing tens of MB/s waits on its reader at
  /// every few frames.
  public init(standardOutput: Void) {
    name = "<stdout>"
    descriptor = 1
    var status = stat()
    if fstat(1, &status) == 0 && status.st_mode & S_IFMT == S_IFIFO {
      _ = fcntl(1, 1031 /* F_SETPIPE_SZ */, Int32(1 << 20))
    }
  }

  init(descriptor: Int32, name: String) {
    self.descriptor = descriptor
    self.name = name
  }

  public func write(_ bytes: UnsafeRawBufferPointer) throws {
    var written = 0
    while written < bytes.count {
      let put = Glibc.write(descriptor, bytes.baseAddress! + written, bytes.count - written)
      if put < 0 {
        if errno == EINTR { continue }
        if errno == EPIPE { throw IOFailure.brokenPipe }
        throw IOFailure.writeFailed(path: name, errno: errno)
      }
      written += put
    }
  }
}

/// A file written atomically: bytes go to a temporary file beside `path`, which replaces
/// `path` only on `commit()`. If the writer is dropped without committing, or the tool is
/// interrupted (SIGINT, SIGTERM, SIGHUP), the temporary file is removed and `path` is
/// untouched.
public final class AtomicFileOutput: ByteOutput {
  public let name: String
  private let temporaryPath: String
  private let output: FileOutput
  private var finished = false

  /// Creates the temporary file, with a name no other run can take (O_EXCL).
  public init(path: String) throws {
    precondition(path != "-", "standard output is not a file to replace")
    name = path
    var random = SystemRandomNumberGenerator()
    var candidate = ""
    var fd: Int32 = -1
    for _ in 0..<16 {
      candidate = path + ".tmp-" + String(random.next() as UInt64, radix: 36)
      fd = open(candidate, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o644)
      if fd >= 0 || errno != EEXIST { break }
    }
    guard fd >= 0 else { throw IOFailure.cannotCreate(path: path, errno: errno) }
    temporaryPath = candidate
    output = FileOutput(descriptor: fd, name: path)
    TemporaryFiles.register(candidate)
  }

  deinit {
    if !finished {
      close(output.descriptor)
      unlink(temporaryPath)
      TemporaryFiles.unregister(temporaryPath)
    }
  }

  public func write(_ bytes: UnsafeRawBufferPointer) throws {
    try output.write(bytes)
  }

  /// Flushes to disk and renames the temporary file over `path`.
  public func commit() throws {
    finished = true
    TemporaryFiles.unregister(temporaryPath)
    let failed = fsync(output.descriptor) != 0 ? errno : 0
    close(output.descriptor)
    if failed != 0 {
      unlink(temporaryPath)
      throw IOFailure.writeFailed(path: name, errno: failed)
    }
    guard rename(temporaryPath, name) == 0 else {
      let code = errno
      unlink(temporaryPath)
      throw IOFailure.cannotCreate(path: name, errno: code)
    }
  }
}

/// Temporary files to remove if the tool is killed by a signal before committing them.
enum TemporaryFiles {
  // Changed under `lock` (files are committed from several threads at once in the tests,
  // and may be in a tool), read without it by the signal handler, which cannot wait.
  nonisolated(unsafe) private static var paths: [String] = []
  nonisolated(unsafe) private static var handlersInstalled = false
  nonisolated(unsafe) static var deferring = false
  nonisolated(unsafe) static var pendingSignal: sig_atomic_t = 0
  nonisolated(unsafe) private static let lock: UnsafeMutablePointer<pthread_mutex_t> = {
    let lock = UnsafeMutablePointer<pthread_mutex_t>.allocate(capacity: 1)
    pthread_mutex_init(lock, nil)
    return lock
  }()

  private static func locked<T>(_ body: () -> T) -> T {
    pthread_mutex_lock(lock)
    defer { pthread_mutex_unlock(lock) }
    return body()
  }

  static func register(_ path: String) {
    locked { paths.append(path) }
    installHandlers()
  }

  static func installHandlers() {
    let first = locked {
      defer { handlersInstalled = true }
      return !handlersInstalled
    }
    guard first else { return }
    for signalNumber in [SIGINT, SIGTERM, SIGHUP] {
      signal(signalNumber) { received in
        // While deferring, the first signal is only noted; a second one ends the tool.
        if TemporaryFiles.deferring && TemporaryFiles.pendingSignal == 0 {
          TemporaryFiles.pendingSignal = received
          return
        }
        for path in TemporaryFiles.paths { unlink(path) }
        _exit(128 + received)
      }
    }
  }

  static func unregister(_ path: String) {
    locked { paths.removeAll { $0 == path } }
  }
}

/// For long work that should end cleanly when interrupted (a training run saving its
/// checkpoint): once `deferSignals()` is called, the first SIGINT, SIGTERM or SIGHUP is
/// only noted in `signal`, for the tool to check between steps; a second one ends the
/// tool at once, removing its temporary files as usual.
public enum Interruption {
  public static func deferSignals() {
    TemporaryFiles.deferring = true
    TemporaryFiles.installHandlers()
    // A parent may have left them blocked (the mask survives exec); they would never arrive.
    var signals = sigset_t()
    sigemptyset(&signals)
    for signalNumber in [SIGINT, SIGTERM, SIGHUP] { sigaddset(&signals, signalNumber) }
    sigprocmask(SIG_UNBLOCK, &signals, nil)
  }

  /// The signal received since `deferSignals()`, or nil.
  public static var signal: Int32? {
    let received = TemporaryFiles.pendingSignal
    return received == 0 ? nil : received
  }
}

extension ByteOutput {
  /// Writes the bytes of an array.
  @inlinable
  public func write(_ bytes: [UInt8]) throws {
    try bytes.withUnsafeBytes { try write($0) }
  }
}
