import DoorstepProtocol
import Testing

@Suite("UTF-8 validation")
struct UTF8CheckTests {
    @Test func validTextPasses() {
        #expect(UTF8Check.firstInvalidByte(Array("ping 王芳 😀 é".utf8)) == nil)
        #expect(UTF8Check.firstInvalidByte([UInt8]()) == nil)
    }

    @Test(arguments: [
        ([0x61, 0xFF], 1),  // never valid
        ([0x61, 0x62, 0xC3], 2),  // truncated
        ([0xC0, 0xAF], 0),  // overlong '/'
        ([0xE0, 0x80, 0xAF], 0),  // overlong
        ([0xED, 0xA0, 0x80], 0),  // surrogate
        ([0xF4, 0x90, 0x80, 0x80], 0),  // above U+10FFFF
        ([0xE7, 0x8E], 0),  // truncated 王
        ([0x80], 0),  // lone continuation
    ] as [([UInt8], Int)])
    func invalidBytesAreLocated(bytes: [UInt8], offset: Int) {
        #expect(UTF8Check.firstInvalidByte(bytes) == offset)
    }
}
