import ArgumentParser
import Shared

@main
struct Decode: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "decode",
    abstract: "Decode a dataset or image files to an unsup stream on stdout.",
    discussion: """
      Records keep their position in the source dataset as their id and their class as \
      their label (-1 when unknown). Images come out as u8 C×H×W; idx and csv can also give \
      float vectors. Sources are read front to back in bounded memory unless --shuffle \
      needs them held (see its help).
      """,
    subcommands: [
      MNISTCommand.self, FashionMNISTCommand.self, IDXCommand.self, CIFAR10Command.self, CIFAR100Command.self,
      STL10Command.self, CSVCommand.self, ImagesCommand.self,
    ])

  static func main() { runAsTool() }
}
