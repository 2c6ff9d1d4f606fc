import Foundation
import Testing
import ToolRunner

/// Bad input gets one line on stderr naming the input and the problem, and a
/// non-zero exit status, never a trap.
@Suite struct BadInputTests {
  /// Runs `tool` and checks the exit status and that stderr is one line containing `expected`.
  func expectFailure(_ tool: String, _ arguments: [String], input: Data = Data(), status: Int32, _ expected: String...) throws {
    let result = try ToolRunner.run(tool, arguments, input: input)
    #expect(result.status == status, "\(tool) \(arguments): \(result.stderr)")
    let lines = result.stderr.split(separator: "\n")
    #expect(lines.count == 1, "\(result.stderr)")
    for text in expected { #expect(result.stderr.contains(text), "\(result.stderr) lacks \(text)") }
  }

  @Test func viewRefusesWhatIsNotAStream() throws {
    try expectFailure("view", ["--info"], input: Data("GIF89a, not a stream at all....".utf8), status: 65, "view: <stdin>: wrong magic", "at byte 0")
    try expectFailure("view", ["--info"], input: Data(), status: 65, "empty input")
    try expectFailure("view", ["--info", "/nonexistent/file.us"], status: 66, "/nonexistent/file.us: cannot open")
  }

  @Test func viewRefusesATruncatedStream() throws {
    let whole = try ToolRunner.run("decode", ["fashion-mnist", "--limit", "300", "-q"]).stdout
    try expectFailure("view", ["--info"], input: whole.prefix(whole.count - 100), status: 65, "truncated frame", "at byte")
  }

  @Test func decodeNamesWhatIsMissing() throws {
    try expectFailure("decode", ["fashion-mnist", "--root", "/nonexistent"], status: 66, "fashion-mnist not found", "/nonexistent", "apt-get install dataset-fashion-mnist")
    try expectFailure("decode", ["images", "/nonexistent.png"], status: 66, "/nonexistent.png: no such file")
    try expectFailure("decode", ["images", sharedData("jpeg/monkey12.jpg"), "-q"], status: 65, "monkey12.jpg", "precision 12")
    try expectFailure("decode", ["csv", "/nonexistent.csv"], status: 66, "/nonexistent.csv: cannot open")
  }

  @Test func oversizedShapesAndSizesAreUsageErrors() throws {
    try expectFailure("decode", ["csv", "-", "--shape", "16777216x16777216x16777216"], input: Data("1,2\n".utf8), status: 64, "--shape")
    let result = try ToolRunner.run("decode", ["images", sharedData("png/pngsuite"), "--size", "16384x16384", "--channels", "3"])
    #expect(result.status == 64 && result.stderr.contains("--size 16384x16384"), "\(result.stderr)")
  }

  @Test func mixedFolderIsRefused() throws {
    let folder = try ToolRunner.temporaryFolder()
    defer { try? FileManager.default.removeItem(at: folder) }
    try FileManager.default.createDirectory(at: folder.appendingPathComponent("cats"), withIntermediateDirectories: true)
    for name in ["cats/a.png", "loose.png"] {
      try FileManager.default.copyItem(atPath: sharedData("png/pngsuite/basn0g08.png"), toPath: folder.appendingPathComponent(name).path)
    }
    try expectFailure("decode", ["images", folder.path, "-q"], status: 64, "holds both class folders and images (loose.png)")
  }

  @Test func fullDiskIsAnError() throws {
    let result = try ToolRunner.shell("decode fashion-mnist --limit 5 -q | view --head 5 > /dev/full")
    #expect(result.status == 74 && result.stderr.contains("view: <stdout>: write failed"), "\(result.stderr)")
  }

  @Test func clusterRefusesImpossibleRequests() throws {
    let few = try ToolRunner.run("decode", ["fashion-mnist", "--limit", "3", "-q"]).stdout
    try expectFailure("cluster", ["-k", "5", "-q"], input: few, status: 64, "-k 5 is more than the 3 records")
    let empty = try ToolRunner.run("decode", ["fashion-mnist", "--limit", "0", "-q"]).stdout
    try expectFailure("cluster", ["-k", "2", "-q"], input: empty, status: 65, "no records to cluster")
  }

  @Test func badArgumentsAreUsageErrors() throws {
    let result = try ToolRunner.run("decode", ["fashion-mnist", "--shard", "3/3"])
    #expect(result.status == 64, "\(result.stderr)")
    #expect(result.stderr.contains("--shard"))
    // One line, as for every other error.
    #expect(result.stderr.hasPrefix("decode: ") && result.stderr.split(separator: "\n").count == 1, "\(result.stderr)")
    let channels = try ToolRunner.run("decode", ["images", "x", "--channels", "2"])
    #expect(channels.status == 64)
    #expect(channels.stderr.split(separator: "\n").count == 1, "\(channels.stderr)")
  }

  @Test func everyToolHasHelp() throws {
    for tool in ["decode", "augment", "embed", "cluster", "score", "view"] {
      let result = try ToolRunner.run(tool, ["--help"])
      #expect(result.status == 0, "\(tool) --help failed")
      #expect(String(decoding: result.stdout, as: UTF8.self).contains("USAGE: \(tool)"))
    }
    for subcommand in ["mnist", "fashion-mnist", "idx", "cifar10", "cifar100", "stl10", "csv", "images"] {
      let result = try ToolRunner.run("decode", [subcommand, "--help"])
      #expect(result.status == 0, "decode \(subcommand) --help failed")
      #expect(String(decoding: result.stdout, as: UTF8.self).contains("--shuffle"))
    }
  }
}
