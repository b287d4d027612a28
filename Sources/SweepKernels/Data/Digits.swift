/// The UCI optical handwritten digits (1,797 8×8 images, CC BY 4.0), carried in the
/// binary; see data/digits/README.md for provenance and format.
public enum Digits {
    /// Images in the data set.
    public static let imageCount = 1797
    /// Images in the fixed training set: the first 1,437 (the last 360 validate).
    public static let trainCount = 1437
    /// Pixels per image.
    public static let features = 64

    /// Every image in file order, pixels scaled to 0…1.
    public static let all: Dataset = parse(embeddedText)

    /// The fixed split: the first 1,437 images train, the last 360 validate.
    public static var split: DatasetSplit {
        let data = all
        let cut = trainCount * features
        return DatasetSplit(
            train: Dataset(features: features, classes: 10, inputs: Array(data.inputs[..<cut]), labels: Array(data.labels[..<trainCount])),
            validation: Dataset(features: features, classes: 10, inputs: Array(data.inputs[cut...]), labels: Array(data.labels[trainCount...])))
    }

    /// Decodes the text form: per line a label digit then 64 base-17 pixel digits.
    static func parse(_ text: String) -> Dataset {
        var inputs: [Float] = []
        var labels: [Int32] = []
        inputs.reserveCapacity(imageCount * features)
        labels.reserveCapacity(imageCount)
        for line in text.utf8.split(separator: UInt8(ascii: "\n")) where line.count == features + 1 {
            labels.append(Int32(digit(line[line.startIndex])))
            for byte in line.dropFirst() { inputs.append(Float(digit(byte)) / 16) }
        }
        return Dataset(features: features, classes: 10, inputs: inputs, labels: labels)
    }

    private static func digit(_ byte: UInt8) -> Int {
        byte >= UInt8(ascii: "a") ? Int(byte - UInt8(ascii: "a")) + 10 : Int(byte - UInt8(ascii: "0"))
    }
}
