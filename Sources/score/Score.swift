import ArgumentParser
import Shared

@main
struct Score: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "score",
    abstract: "Not yet: score arrives with its own issue.")

  static func main() { runAsTool() }

  func run() throws {
    throw Failure("not yet implemented: see the issues", exitCode: ExitStatus.software)
  }
}
