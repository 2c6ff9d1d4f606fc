import Foundation
import Shared
import Testing

@testable import embed

/// embed's PCA against scikit-learn's on a small fixed dataset (Fixtures/make_fixtures.py
/// made Fixtures/reference.json): variances, components and projections, plain and whitened.
@Suite struct PCAReferenceTests {
  struct Fit: Decodable {
    var variances: [Double]
    var components: [Double]
    var projected: [Double]
  }
  struct Fixture: Decodable {
    var format: String
    var n: Int
    var d: Int
    var k: Int
    var x: [Float]
    var plain: Fit
    var whitened: Fit
  }

  static let fixture: Fixture = {
    let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures/reference.json")
    return try! JSONDecoder().decode(Fixture.self, from: Data(contentsOf: url))
  }()

  /// The fixture's rows as the records of one batch, and that batch's matrix.
  static func data() throws -> (RecordBatch, StreamSchema, FeatureMatrix) {
    let f = fixture
    let schema = StreamSchema(elementType: .f32, layout: .vector, dims: [f.d])
    var batch = RecordBatch(schema: schema)
    for i in 0..<f.n {
      Array(f.x[i * f.d..<(i + 1) * f.d]).withUnsafeBytes { batch.append(id: Int64(i), label: -1, payload: $0) }
    }
    return (batch, schema, try FeatureMatrix(schema: schema, records: batch, name: "fixture"))
  }

  @Test(arguments: [false, true]) func matchesScikitLearn(whiten: Bool) throws {
    let f = Self.fixture
    #expect(f.format == "unsup embed PCA reference, version 1")
    let expected = whiten ? f.whitened : f.plain
    let (batch, schema, matrix) = try Self.data()
    let pca = try PCAModel(fitting: matrix, dimensions: f.k, whiten: whiten)
    for (ours, theirs) in zip(pca.variances, expected.variances) {
      #expect(abs(ours - theirs) < 1e-4 * theirs, "variance \(ours) vs \(theirs)")
    }
    for (ours, theirs) in zip(pca.components, expected.components) {
      #expect(abs(Double(ours) - theirs) < 1e-4, "component \(ours) vs \(theirs)")
    }
    let projected = try pca.vectors(of: batch, schema: schema, name: "fixture")
    let scale = expected.projected.map(abs).max()!
    for (ours, theirs) in zip(projected, expected.projected) {
      #expect(abs(Double(ours) - theirs) < 1e-4 * scale, "projection \(ours) vs \(theirs)")
    }
  }
}
