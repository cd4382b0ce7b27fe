// CodePoints.swift: strings as arrays of Unicode code points, the unit every offset of the
// normalizer counts (as Python and PocketTTS's `PythonText` do).

extension String {
    /// The string made of exactly these code points (no normalization).
    init(codePoints: [Unicode.Scalar]) {
        var view = String.UnicodeScalarView()
        view.append(contentsOf: codePoints)
        self.init(view)
    }
}
