package io.crossfade.config;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class InputTextTest {

    @Test
    void everyBidirectionalControlIsNamedWithItsPosition() {
        for (int cp : new int[] {0x202A, 0x202B, 0x202C, 0x202D, 0x202E, 0x2066, 0x2067, 0x2068, 0x2069}) {
            String unfit = InputText.unfitCharacter("ab" + Character.toString(cp) + "c", false);
            assertThat(unfit).startsWith(String.format("U+%04X (", cp)).contains("at character 3", "bidirectional");
        }
    }

    @Test
    void otherFormatCharactersControlsAndLoneSurrogatesAreUnfitToo() {
        assertThat(InputText.unfitCharacter("zero\u200bwidth", false)).contains("U+200B", "at character 5", "format");
        assertThat(InputText.unfitCharacter("\ufeffbom", false)).contains("U+FEFF", "at character 1");
        assertThat(InputText.unfitCharacter("bell\u0007", false)).contains("U+0007", "control");
        assertThat(InputText.unfitCharacter("a\ud800b", false)).contains("U+D800", "lone UTF-16 surrogate");
    }

    @Test
    void positionsCountCharactersNotUtf16Units() {
        assertThat(InputText.unfitCharacter("😀😀\u202e", false)).contains("at character 3");
        assertThat(InputText.loneSurrogate("😀x\udc00")).isEqualTo("U+DC00 at character 3");
        assertThat(InputText.loneSurrogate("😀 fine")).isNull();
    }

    @Test
    void visibleTextOfAnyScriptIsFitAndLineBreaksOnlyWhereMultiline() {
        assertThat(InputText.unfitCharacter("Grüße, 漢字, שלום, emoji 😀", false)).isNull();
        assertThat(InputText.unfitCharacter("two\nlines\tand a tab", true)).isNull();
        assertThat(InputText.unfitCharacter("two\nlines", false)).contains("U+000A", "one line");
        assertThat(InputText.unfitCharacter(null, false)).isNull();
    }
}
