import SweepPrediction
import Testing

@Suite struct DirectionTests {
    @Test func betterFollowsTheGoal() {
        #expect(Direction.minimize.isBetter(1, than: 2))
        #expect(!Direction.minimize.isBetter(2, than: 2))
        #expect(Direction.maximize.isBetter(3, than: 2))
        #expect(Direction.maximize.best(3, 5) == 5)
        #expect(Direction.minimize.best(3, 5) == 3)
    }
}
