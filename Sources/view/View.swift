import ArgumentParser
import Shared

@main
struct View: ParsableCommand {
  static let configuration = CommandConfiguration(commandName: "view", abstract: "View datasets to an unsup stream.")
  static func main() { runAsTool() }
}
