import Pipelines
import Testing

@Suite("parity report text")
struct ParityTextTests {
  @Test("long parameter names are printed whole and the error column stays aligned")
  func longNames() {
    var report = ParityCheck.Report(model: "MIMO_UNet_Beamforming", parameterCount: 3, outputTolerance: 1e-4, gradientTolerance: 1e-3)
    let long = "encoder.blocks.11.attention.output_projection.parametrizations.weight.original1"
    report.perGradient = [long: 2e-6, "bias": 1e-7]
    report.perOutput = ["output": 3e-6]
    report.gradients = 2e-6
    report.inputGradient = 1e-6
    let lines = report.text.split(separator: "\n").map(String.init)
    let longLine = lines.first { $0.contains(long) }
    #expect(longLine != nil, "the name is not cut: \(lines)")
    let widths = Set(lines.filter { $0.hasPrefix("  ok  ") }.map(\.count))
    #expect(widths.count == 1, "every line has the same width: \(lines)")
  }
}
