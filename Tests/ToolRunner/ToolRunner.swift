import Foundation

/// Runs the built executables as a user would, and captures what they print. Shared by
/// the end-to-end tests of ToolTests and ScoreTests.
public enum ToolRunner {
  /// The folder holding the built tools: the one holding this test bundle.
  public static let binDirectory: URL = {
    let testBinary = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath()
    var folder = testBinary.deletingLastPathComponent()
    // `swift test` runs `<bin>/unsupPackageTests.xctest`, a file on Linux.
    while !FileManager.default.fileExists(atPath: folder.appendingPathComponent("decode").path),
      folder.path != "/"
    {
      folder = folder.deletingLastPathComponent()
    }
    return folder
  }()

  public struct Result {
    public var status: Int32
    public var stdout: Data
    public var stderr: String
  }

  /// Runs `tool` with `arguments`, feeding `input` on stdin.
  public static func run(_ tool: String, _ arguments: [String], input: Data = Data()) throws -> Result {
    try shell("\"$0\" \"$@\"", [binDirectory.appendingPathComponent(tool).path] + arguments, input: input)
  }

  /// Runs a bash script with the tools on PATH; `arguments` become $0, $1, ….
  public static func shell(_ script: String, _ arguments: [String] = [], input: Data = Data()) throws -> Result {
    let scratch = FileManager.default.temporaryDirectory.appendingPathComponent("unsup-tooltest-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: scratch, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: scratch) }
    let inURL = scratch.appendingPathComponent("in")
    let outURL = scratch.appendingPathComponent("out")
    let errURL = scratch.appendingPathComponent("err")
    try input.write(to: inURL)
    FileManager.default.createFile(atPath: outURL.path, contents: nil)
    FileManager.default.createFile(atPath: errURL.path, contents: nil)
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/bin/bash")
    process.arguments = ["-c", script] + arguments
    var environment = ProcessInfo.processInfo.environment
    environment["PATH"] = binDirectory.path + ":" + (environment["PATH"] ?? "/usr/bin:/bin")
    process.environment = environment
    process.currentDirectoryURL = scratch
    process.standardInput = try FileHandle(forReadingFrom: inURL)
    process.standardOutput = try FileHandle(forWritingTo: outURL)
    process.standardError = try FileHandle(forWritingTo: errURL)
    try process.run()
    process.waitUntilExit()
    return Result(
      status: process.terminationStatus, stdout: try Data(contentsOf: outURL),
      stderr: String(decoding: try Data(contentsOf: errURL), as: UTF8.self))
  }

  /// A fresh temporary folder, removed by the caller.
  public static func temporaryFolder() throws -> URL {
    let folder = FileManager.default.temporaryDirectory.appendingPathComponent("unsup-tooltest-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
    return folder
  }
}

extension Data {
  /// The JSON object this data holds.
  public var jsonObject: [String: Any] {
    (try? JSONSerialization.jsonObject(with: self)) as? [String: Any] ?? [:]
  }
}
