import Testing
@testable import Kernels

struct TensorTests {
    @Test func initZerosAndCount() {
        let t = Tensor(shape: [2, 3], data: [1, 2, 3, 4, 5, 6])
        #expect(t.count == 6 && t.rank == 2 && t.lastDimension == 3 && t.rowCount == 2)
        #expect(t[1, 2] == 6 && t[0, 1] == 2)
        #expect(Tensor.zeros([4, 0]).count == 0)
        #expect(Tensor.zeros([2, 2]).data == [0, 0, 0, 0])
        #expect(Tensor.filled([3], value: 2).data == [2, 2, 2])
    }

    @Test func reshapeInfersOneDimension() {
        let t = Tensor(shape: [2, 3], data: [1, 2, 3, 4, 5, 6])
        #expect(t.reshaped([3, -1]).shape == [3, 2])
        #expect(t.reshaped([-1]).shape == [6])
        #expect(t.reshaped([3, 2]).data == t.data)
    }

    @Test func transposeSwapsIndices() {
        let t = Tensor.random([3, 5], seed: 1)
        let u = t.transposed()
        #expect(u.shape == [5, 3])
        for i in 0..<3 { for j in 0..<5 { #expect(u[j, i] == t[i, j]) } }
        #expect(u.transposed() == t)
    }

    @Test func subscriptSetsValueSemantics() {
        var a = Tensor.zeros([2, 2])
        let b = a
        a[1, 0] = 7
        #expect(a.data == [0, 0, 7, 0] && b.data == [0, 0, 0, 0])
    }

    @Test func differencesAndCloseness() {
        let a = Tensor(shape: [3], data: [1, 2, 3])
        let b = Tensor(shape: [3], data: [1, 2.5, 2])
        #expect(Tensor.maxAbsDifference(a, b) == 1)
        #expect(Tensor.maxAbsDifference(a, a) == 0)
        #expect(Tensor.maxAbsDifference([Float.nan], [0]).isNaN)
        #expect(a.isClose(to: a) && !a.isClose(to: b))
        #expect(!a.isClose(to: a.reshaped([1, 3])))
        #expect(b.maxAbs == 2.5)
    }

    @Test func randomIsSeededAndInRange() {
        let a = Tensor.random([100], seed: 42, in: -2...3)
        #expect(a == Tensor.random([100], seed: 42, in: -2...3))
        #expect(a != Tensor.random([100], seed: 43, in: -2...3))
        #expect(a.data.allSatisfy { $0 >= -2 && $0 <= 3 })
        #expect(Set(a.data).count > 90)
    }
}
