import Foundation
import Network
import Testing

/// Two training steps of MoCo v2 (SGD) and of SimCLR (AdamW) on a tiny ConvNet with an MLP
/// head, compared with the same steps run by PyTorch's autograd (Fixtures/make_fixtures.py
/// made Fixtures/reference.json; its docstring says what each value is).
@Suite struct MethodReferenceTests {
  struct Fixture: Decodable {
    struct MoCoRun: Decodable {
      struct Step: Decodable {
        var query_input: [Float]
        var key_input: [Float]
        var loss: Double
      }
      var batch: Int
      var queue_size: Int
      var temperature: Float
      var momentum: Float
      var lr: Float
      var sgd_momentum: Float
      var weight_decay: Float
      var query_initial: [String: [Float]]
      var key_initial: [String: [Float]]
      var queue_initial: [Float]
      var steps: [Step]
      var query_final: [String: [Float]]
      var key_final: [String: [Float]]
      var queue_final: [Float]
    }
    struct SimCLRRun: Decodable {
      struct Step: Decodable {
        var input: [Float]
        var loss: Double
      }
      var images: Int
      var temperature: Float
      var lr: Float
      var weight_decay: Float
      var initial: [String: [Float]]
      var steps: [Step]
      var final: [String: [Float]]
    }
    var moco: MoCoRun
    var simclr: SimCLRRun
  }

  static let fixture: Fixture = {
    let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures/reference.json")
    // A missing or malformed fixture is a broken checkout: fail loudly.
    return try! JSONDecoder().decode(Fixture.self, from: Data(contentsOf: url))
  }()

  static let architecture = Architecture(
    encoder: .convnet, channels: 1, height: 8, width: 8, widths: [2, 3], features: 5, head: [6, 4])

  /// Sets every parameter from the fixture's tensors (PyTorch state_dict names).
  func set(_ network: EmbeddingNetwork, _ values: [String: [Float]]) {
    #expect(values.count == network.modules.reduce(0) { $0 + $1.module.parameters.slices.count })
    for (prefix, module) in network.modules {
      for slice in module.parameters.slices {
        let tensor = values[prefix + slice.name]!
        #expect(tensor.count == slice.count, "\(prefix + slice.name)")
        module.parameters.pointer(slice.name).update(from: tensor, count: slice.count)
      }
    }
  }

  /// The largest difference from the fixture's tensors, relative to each tensor's largest value.
  func difference(_ network: EmbeddingNetwork, _ values: [String: [Float]]) -> Float {
    var worst: Float = 0
    for (prefix, module) in network.modules {
      for slice in module.parameters.slices {
        let expected = values[prefix + slice.name]!
        let actual = UnsafeBufferPointer(start: module.parameters.pointer(slice.name), count: slice.count)
        let scale = max(expected.map(abs).max()!, 1e-3)
        for (a, e) in zip(actual, expected) { worst = max(worst, abs(a - e) / scale) }
      }
    }
    return worst
  }

  /// With 2 threads each step runs as two replicas on 2 and 1 of the 3 pairs.
  @Test(arguments: [1, 2]) func mocoMatchesPyTorch(threads: Int) {
    let run = Self.fixture.moco
    let query = EmbeddingNetwork(Self.architecture, maxBatch: run.batch, threads: threads)
    let key = EmbeddingNetwork(Self.architecture, maxBatch: run.batch, threads: threads)
    let moco = MoCo(query: query, key: key, queueSize: run.queue_size, temperature: run.temperature, momentum: run.momentum, seed: 0)
    set(query, run.query_initial)
    set(key, run.key_initial)
    moco.queue.update(from: run.queue_initial, count: run.queue_initial.count)
    let optimizer = Optimizer(.init(kind: .sgd, weightDecay: run.weight_decay, momentum: run.sgd_momentum), for: query)
    for step in run.steps {
      let loss = moco.step(queries: step.query_input, keys: step.key_input, batch: run.batch)
      optimizer.step(query, learningRate: run.lr)
      #expect(abs(loss - step.loss) < 1e-5 * max(1, abs(step.loss)), "loss \(loss), PyTorch \(step.loss)")
    }
    #expect(difference(query, run.query_final) < 1e-5)
    #expect(difference(key, run.key_final) < 1e-5)
    let queue = Array(UnsafeBufferPointer(start: moco.queue, count: run.queue_final.count))
    #expect(zip(queue, run.queue_final).allSatisfy { abs($0 - $1) < 1e-5 })
    // Two steps of 3 keys into a ring of 7: the next write goes to row 6.
    #expect(moco.queuePosition == 6)
  }

  @Test(arguments: [1, 2]) func simclrMatchesPyTorch(threads: Int) {
    let run = Self.fixture.simclr
    let network = EmbeddingNetwork(Self.architecture, maxBatch: 2 * run.images, threads: threads)
    let simclr = SimCLR(network: network, temperature: run.temperature)
    set(network, run.initial)
    let optimizer = Optimizer(.init(kind: .adamw, weightDecay: run.weight_decay), for: network)
    for step in run.steps {
      let loss = simclr.step(views: step.input, images: run.images)
      optimizer.step(network, learningRate: run.lr)
      #expect(abs(loss - step.loss) < 1e-5 * max(1, abs(step.loss)), "loss \(loss), PyTorch \(step.loss)")
    }
    #expect(difference(network, run.final) < 1e-4)
  }

  /// A model file's architecture is input: numbers out of range are refused as a sentence
  /// before any size is computed from them.
  @Test func architecturesOutOfRangeAreRefused() {
    var huge = Self.architecture
    huge.widths = [2, 1 << 40]
    #expect(huge.problem?.contains("widths") == true)
    huge = Self.architecture
    huge.height = -3
    #expect(huge.problem != nil)
    huge = Self.architecture
    huge.encoder = .resnet
    #expect(huge.problem?.contains("last stage") == true)
    #expect(Self.architecture.problem == nil)
    #expect(Self.architecture.estimatedValues(batch: 1 << 16) > Self.architecture.estimatedValues(batch: 1))
  }
}
