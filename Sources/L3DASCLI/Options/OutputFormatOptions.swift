import ArgumentParser

/// Output options shared by every command that prints a result.
struct OutputFormatOptions: ParsableArguments {
  @Flag(name: .long, help: "Print the result as JSON on standard output (for scripts).")
  var json = false

  @Flag(name: .shortAndLong, help: "Print more detail, including each item's progress line.")
  var verbose = false

  @Flag(name: .long, help: "Show no progress bar.")
  var quiet = false
}
