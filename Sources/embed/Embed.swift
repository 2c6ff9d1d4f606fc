import ArgumentParser
import Shared

@main
struct Embed: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "embed",
    abstract: "Not yet: embed arrives with its own issue.")

  static func main() { runAsTool() }

  func run() throws {
    throw Failure("not yet implemented: see the issues", exitCode: ExitStatus.software)
  }
}
