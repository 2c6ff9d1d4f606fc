import ArgumentParser
import Shared

@main
struct Augment: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "augment",
    abstract: "Not yet: augment arrives with its own issue.")

  static func main() { runAsTool() }

  func run() throws {
    throw Failure("not yet implemented: see the issues", exitCode: ExitStatus.software)
  }
}
