import ArgumentParser
import Shared

@main
struct Decode: ParsableCommand {
  static let configuration = CommandConfiguration(commandName: "decode", abstract: "Decode datasets to an unsup stream.")
  static func main() { runAsTool() }
}
