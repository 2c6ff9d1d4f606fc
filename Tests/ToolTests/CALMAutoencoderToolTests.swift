import Foundation
import Shared
import Testing
import ToolRunner

/// embed train --method calm and --method ae end to end: on real images the CALM
/// log-likelihood never falls and the autoencoder's loss does; their model files; the
/// vectors `embed -m` makes of them; the filter sheet; bad input.
@Suite struct CALMAutoencoderToolTests {
  /// The per-pass log-likelihoods `embed train --method calm` prints.
  static func logLikelihoods(_ stderr: String) -> [Double] {
    stderr.split(separator: "\n").compactMap { line in
      guard let range = line.range(of: "log-likelihood ") else { return nil }
      return Double(line[range.upperBound...].prefix { $0 != " " })
    }
  }

  @Test func calmLikelihoodNeverFallsOnRealImages() throws {
    let folder = try ToolRunner.temporaryFolder()
    defer { try? FileManager.default.removeItem(at: folder) }
    let script = """
      set -e
      cd "$0"
      decode fashion-mnist --split test --limit 300 -q > in.us
      embed train --method calm --filters 12 --patch 7 --padding 1 --epochs 6 --seed 3 -o calm.bin in.us
      embed -m calm.bin in.us -q -o whole.us
      embed -m calm.bin --grid 2 in.us -q -o grid.us
      embed filters -m calm.bin -o filters.png
      # The STL-10 recipe's whitening, on grey images here: recorded, and applied by embed.
      embed train --method calm --whiten --filters 4 --patch 5 --epochs 2 -q -o white.bin in.us
      embed -m white.bin in.us -q -o white.us
      # A network's first convolution draws too: 4 filters of 3×3, zoomed 13×.
      augment in.us --views 2 -q | embed train --steps 1 --batch 4 --widths 4,8 --features 16 --head none -q -o net.bin
      embed filters -m net.bin -o net.png
      """
    let result = try ToolRunner.shell(script, [folder.path])
    #expect(result.status == 0, "\(result.stderr)")
    let values = Self.logLikelihoods(result.stderr)
    #expect(values.count == 6, "\(result.stderr)")
    for (before, after) in zip(values, values.dropFirst()) {
      #expect(after >= before - 1e-4, "\(result.stderr)")
    }
    #expect(values.last! > values.first! + 0.01, "\(result.stderr)")

    let path = folder.appendingPathComponent("calm.bin").path
    let file = try SafeTensors(bytes: FileInput(path: path).readToEnd(), name: path)
    #expect(file.metadata["format"] == "unsup-embed-calm-1" && file.tensors["filters"]?.shape == [12, 1, 7, 7])
    #expect(file.metadata["log_likelihoods"]?.split(separator: ",").count == 6)
    let shape = Data(file.metadata["shape"]!.utf8).jsonObject
    #expect(shape["filters"] as? Int == 12 && shape["patch"] as? Int == 7 && shape["padding"] as? Int == 1)
    // 28 + 2 − 7 + 1 = 24 × 24 positions; features per filter over the image or 2 × 2 cells.
    #expect(try EmbedToolTests.values("whole.us", in: folder).count == 300 * 12)
    let grid = try EmbedToolTests.values("grid.us", in: folder)
    #expect(grid.count == 300 * 48 && grid.allSatisfy(\.isFinite))
    let png = try PNG.decode(FileInput(path: folder.appendingPathComponent("filters.png").path).readToEnd())
    // 12 filters in rows of 4 (⌈√12⌉), 7 × 5 = 35-pixel tiles, 2-pixel gaps.
    #expect(png.channels == 1 && png.width == 2 + 4 * 37 && png.height == 2 + 3 * 37)
    let network = try PNG.decode(FileInput(path: folder.appendingPathComponent("net.png").path).readToEnd())
    #expect(network.width == 2 + 2 * 41 && network.height == 2 + 2 * 41)
    let white = folder.appendingPathComponent("white.bin").path
    #expect(try SafeTensors(bytes: FileInput(path: white).readToEnd(), name: white).metadata["preprocessing"] == "zca-rows")
    #expect(file.metadata["preprocessing"] == nil)
    let whitened = try EmbedToolTests.values("white.us", in: folder)
    #expect(whitened.count == 300 * 4 && whitened.allSatisfy { $0.isFinite })
  }

  @Test func autoencoderLossFallsAndEmbedsItsBottleneck() throws {
    let folder = try ToolRunner.temporaryFolder()
    defer { try? FileManager.default.removeItem(at: folder) }
    let script = """
      set -e
      cd "$0"
      decode fashion-mnist --split train --limit 1024 -q > in.us
      embed train --method ae --widths 64 --features 8 --epochs 8 --batch 64 --log log.csv -q -o ae.bin in.us
      embed -m ae.bin in.us -q -o bottleneck.us
      """
    let result = try ToolRunner.shell(script, [folder.path])
    #expect(result.status == 0, "\(result.stderr)")
    let csv = try String(contentsOf: folder.appendingPathComponent("log.csv"), encoding: .utf8)
    let losses = csv.split(separator: "\n").dropFirst().map { Double($0.split(separator: ",")[2])! }
    #expect(losses.count == 8 * 16)
    let (first, last) = (losses.prefix(16).reduce(0, +) / 16, losses.suffix(16).reduce(0, +) / 16)
    #expect(last < 0.6 * first, "\(first) → \(last)")
    let path = folder.appendingPathComponent("ae.bin").path
    let file = try SafeTensors(bytes: FileInput(path: path).readToEnd(), name: path)
    // The encoder 784 → 64 → 8 and the mirrored decoder 8 → 64 → 784, as nn.Sequential.
    #expect(file.tensors["encoder.0.weight"]?.shape == [64, 784] && file.tensors["encoder.2.weight"]?.shape == [8, 64])
    #expect(file.tensors["head.0.weight"]?.shape == [64, 8] && file.tensors["head.2.weight"]?.shape == [784, 64])
    let recipe = Data(file.metadata["recipe"]!.utf8).jsonObject
    #expect(recipe["method"] as? String == "ae" && recipe["temperature"] == nil)
    #expect(try EmbedToolTests.values("bottleneck.us", in: folder).count == 1024 * 8)
  }

  @Test func badInputGetsOneLine() throws {
    let cases: [(String, String)] = [
      ("embed train --method calm --patch 40 -o c.bin in.us", "does not fit a 28×28 image"),
      ("embed train --method calm --filters 0 -o c.bin in.us", "filters"),
      ("embed train --method calm --steps 3 -o c.bin in.us", "--epochs"),
      ("embed train --patch 5 -o c.bin in.us", "go with --method calm"),
      ("embed in.us -q | embed train --method calm -o c.bin", "learns from images"),
      ("embed -m c.bin --grid 30 in.us", "--grid 30 is finer"),
      ("embed -m c.bin --layer head in.us", "no projection head"),
      ("embed -m c.bin big.us", "takes 1×28×28 images"),
      ("embed train --method ae --arch convnet -o a.bin in.us", "--arch mlp"),
      ("embed train --method ae --head 8,8 -o a.bin in.us", "--head goes with"),
      ("echo nonsense > x.bin; embed filters -m x.bin -o f.png", "x.bin"),
      ("embed train --method calm --resume c.bin -o d.bin in.us", "--method calm takes no --resume"),
      ("embed train --method calm --lr 0.1 -o d.bin in.us", "--method calm takes no --lr"),
      ("embed train --method ae --checkpoint a.ckpt -o a.bin in.us", "--method ae takes no --checkpoint"),
      ("embed train --method ae --epochs 2000000000 -o a.bin in.us", "--epochs must be at most"),
      ("decode fashion-mnist --split test --limit 0 -q | embed train --method ae -o a.bin", "no images to learn from"),
    ]
    let setup = """
      decode fashion-mnist --split test --limit 8 -q > in.us
      augment in.us --preset none --size 32 -q > big.us
      embed train --method calm --filters 4 --patch 5 --epochs 1 -q -o c.bin in.us
      """
    try EmbedToolTests.expectOneLineFailures(cases, after: setup)
  }
}
