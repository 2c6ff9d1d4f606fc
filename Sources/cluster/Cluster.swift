import ArgumentParser
import Shared

@main
struct Cluster: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "cluster",
    abstract: "Not yet: cluster arrives with its own issue.")

  static func main() { runAsTool() }

  func run() throws {
    throw Failure("not yet implemented: see the issues", exitCode: ExitStatus.software)
  }
}
