import Foundation
import Testing
import ToolRunner

/// augment end to end: in pipelines, with its options, and with bad input.
@Suite struct AugmentToolTests {
  @Test func viewsCarryIdAndViewIndex() throws {
    let result = try ToolRunner.shell("decode fashion-mnist --split test --limit 5 -q | augment --views 3 -q | view --json")
    #expect(result.status == 0, "\(result.stderr)")
    let report = result.stdout.jsonObject
    #expect(report["records"] as? Int == 15)
    #expect(report["shape"] as? [Int] == [1, 28, 28])
    let head = try ToolRunner.shell("decode fashion-mnist --split test --limit 2 -q | augment --views 2 -q | view --head 4 | tail -n +2 | cut -f1-4")
    let rows = String(decoding: head.stdout, as: UTF8.self).split(separator: "\n").map { $0.split(separator: "\t").map(String.init) }
    #expect(rows.map { $0[0] } == ["60000", "60000", "60001", "60001"], "\(rows)")
    #expect(rows.map { $0[2] } == ["0", "1", "0", "1"], "\(rows)")
  }

  @Test func outputIsTheSameForAnyThreadCount() throws {
    let script = """
      decode fashion-mnist --split test --limit 700 -q > in.us
      augment in.us --seed 3 --threads 1 -q > one.us
      augment in.us --seed 3 --threads 2 -q > two.us
      augment in.us --seed 3 --threads 2 -q > again.us
      augment in.us --seed 4 --threads 2 -q > other.us
      cmp one.us two.us && cmp two.us again.us && echo same
      cmp -s one.us other.us || echo differs
      # Large views: few records per batch, so batching must not follow the thread count.
      decode images "$0" --size 32x32 --channels 3 -q > rgb.us
      augment rgb.us --size 96 --seed 3 --threads 1 -q > one.us
      augment rgb.us --size 96 --seed 3 --threads 5 -q > five.us
      cmp one.us five.us && echo same
      """
    let result = try ToolRunner.shell(script, [sharedData("png/pngsuite")])
    #expect(String(decoding: result.stdout, as: UTF8.self) == "same\ndiffers\nsame\n", "\(result.stderr)")
  }

  @Test func epochsReplayAndShuffle() throws {
    let script = """
      decode fashion-mnist --split test --limit 50 -q > in.us
      augment in.us --epochs 3 --shuffle --views 2 -q | view --head 1000 | tail -n +2 | cut -f1 > ids
      wc -l < ids
      # each epoch holds every id twice
      for e in 0 1 2; do sed -n "$((e * 100 + 1)),$((e * 100 + 100))p" ids | sort -u | wc -l; done
      # the epochs come in different orders
      sed -n 1,100p ids | uniq > e0; sed -n 101,200p ids | uniq > e1; cmp -s e0 e1 || echo reordered
      """
    let result = try ToolRunner.shell(script)
    #expect(result.status == 0, "\(result.stderr)")
    let lines = String(decoding: result.stdout, as: UTF8.self).split(separator: "\n").map { $0.trimmingCharacters(in: .whitespaces) }
    #expect(lines == ["300", "50", "50", "50", "reordered"], "\(lines)")
  }

  @Test func normalizeWritesFloatsAndSaysHow() throws {
    let result = try ToolRunner.shell("decode fashion-mnist --limit 4 -q | augment --preset none --views 1 --normalize 0.5,0.25 -q | view --json")
    #expect(result.status == 0, "\(result.stderr)")
    let report = result.stdout.jsonObject
    #expect(report["dtype"] as? String == "f32")
    let metadata = try ToolRunner.shell("decode fashion-mnist --limit 4 -q | augment --preset none --views 1 --normalize 0.5,0.25 -q | head -c 4096 | strings | grep -o '\"normalize\":{[^}]*}'")
    #expect(String(decoding: metadata.stdout, as: UTF8.self).contains("\"mean\":[0.5]"), "\(metadata.stdout)")
  }

  @Test func resizesAndTakesRGB() throws {
    let result = try ToolRunner.shell("decode images \"$0\" -q | augment --size 16x24 --preset moco-v2 -q | view --json", [sharedData("png/pngsuite")])
    #expect(result.status == 0, "\(result.stderr)")
    #expect((result.stdout.jsonObject["shape"] as? [Int])?.suffix(2) == [16, 24])
  }

  @Test func closedPipeEndsQuietly() throws {
    for options in ["--epochs 5", "--threads 1", "--threads 2"] {
      let result = try ToolRunner.shell("decode fashion-mnist -q | augment \(options) 2>err | head -c 100 > /dev/null; echo ${PIPESTATUS[1]}; cat err")
      #expect(String(decoding: result.stdout, as: UTF8.self) == "0\n", "\(options): \(result.stdout)")
    }
  }

  @Test func badInputIsOneLine() throws {
    func failure(_ script: String, _ expected: String, status: Int32) throws {
      let result = try ToolRunner.shell(script)
      #expect(result.status == status, "\(script): \(result.stderr)")
      #expect(result.stderr.hasPrefix("augment: ") && result.stderr.contains(expected), "\(script): \(result.stderr)")
      #expect(result.stderr.split(separator: "\n").count == 1, "\(result.stderr)")
    }
    try failure("decode fashion-mnist --limit 2 -q | augment --views 0", "--views", status: 64)
    try failure("decode fashion-mnist --limit 2 -q | augment --crop-scale 0.5,2", "--crop-scale", status: 64)
    try failure("decode fashion-mnist --limit 2 -q | augment --jitter 0.4,0.4", "--jitter", status: 64)
    try failure("decode fashion-mnist --limit 2 -q | augment --flip 1.5", "--flip", status: 64)
    try failure("decode fashion-mnist --limit 2 -q | augment --preset simclr2", "simclr2", status: 64)
    try failure("decode fashion-mnist --limit 2 -q | augment --normalize 0.5,0.2,0.1", "--normalize", status: 64)
    try failure("decode fashion-mnist --limit 2 -q | augment --normalize 1,2,3,4,5,6 -q", "one std per channel", status: 64)
    try failure("decode fashion-mnist --limit 2 -q | augment --normalize 0.5,0.5 -q | augment", "u8 images", status: 65)
    try failure("echo hello | augment", "magic", status: 65)
    try failure("decode fashion-mnist --limit 2 -q | augment --crop-ratio 1e40,1e40", "--crop-ratio", status: 64)
    try failure("decode fashion-mnist --limit 2 -q | augment --blur-sigma 1e-50,1", "--blur-sigma", status: 64)
    try failure("decode fashion-mnist --limit 2 -q | augment --jitter 1e308,0,0,0", "--jitter", status: 64)
    try failure("decode fashion-mnist --limit 2 -q | augment --normalize 0,1e-40", "--normalize", status: 64)
    try failure("decode fashion-mnist --limit 2 -q | augment --size 20000x20000", "--size", status: 64)
  }

  @Test func emptyAndClusteredInputs() throws {
    for options in ["", "--epochs 3 --shuffle"] {
      let empty = try ToolRunner.shell("decode fashion-mnist --limit 0 -q | augment \(options) -q | view --json")
      #expect(empty.status == 0, "\(empty.stderr)")
      #expect(empty.stdout.jsonObject["records"] as? Int == 0)
    }
    // Clusters (and probabilities) of the input are not carried over to the views.
    let clustered = try ToolRunner.shell("decode fashion-mnist --limit 30 -q | cluster -k 3 --soft -q | augment -q | view --json")
    #expect(clustered.status == 0, "\(clustered.stderr)")
    #expect(clustered.stdout.jsonObject["records"] as? Int == 60)
    #expect(clustered.stdout.jsonObject["probs"] == nil)
  }
}
