import Testing
@testable import ComposeLoader
import ComposeModel
