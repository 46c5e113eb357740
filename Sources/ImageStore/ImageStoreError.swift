import Foundation

/// What went wrong in the image store, said with what it was doing: the reference, the URL and
/// HTTP status, the layer and the path inside it, or the call and errno.
public struct ImageStoreError: Error, Sendable, CustomStringConvertible, Equatable {
    public var message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }

    /// A failed system call: `open /var/lib/x: Permission denied (errno 13)`.
    static func posix(_ call: String, _ path: String, _ err: Int32 = errno) -> ImageStoreError {
        ImageStoreError("\(call) \(path): \(String(cString: strerror(err))) (errno \(err))")
    }
}
