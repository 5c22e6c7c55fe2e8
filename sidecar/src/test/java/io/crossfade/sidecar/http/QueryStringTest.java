package io.crossfade.sidecar.http;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.netty.handler.codec.http.QueryStringDecoder;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class QueryStringTest {

    /** What Vert.x's getParam answers: Netty's decoder as Vert.x configures it, first value, names ignoring case. */
    private static String vertxGetParam(String query, String name) {
        Map<String, List<String>> params =
                new QueryStringDecoder(query, StandardCharsets.UTF_8, false, 1024, true).parameters();
        for (Map.Entry<String, List<String>> e : params.entrySet()) {
            if (e.getKey().equalsIgnoreCase(name) && !e.getValue().isEmpty()) {
                return e.getValue().get(0);
            }
        }
        return null;
    }

    @ParameterizedTest
    @ValueSource(strings = {
            "unit=user-42", "a=1&unit=user-42&b=2", "unit=first&unit=second", "UNIT=loud", "Unit=mixed",
            "unit=a+b", "unit=a%20b", "unit=caf%C3%A9", "unit=%F0%9F%98%80", "unit=a;b", "unit=a=b",
            "unit=", "unit", "unit&unit=later", "&&unit=x&&", "=x&unit=y", "units=no&unit=yes", "uni=no",
            "%75nit=encoded-name", "u%6Eit=x", "unit%3D=odd", "prefix=search.&unit=u", "", "noise",
            "unit=%2B", "unit=100%25"})
    void answersWhatVertxGetParamAnswers(String query) {
        assertThat(QueryString.first(query, "unit")).as(query).isEqualTo(vertxGetParam(query, "unit"));
    }

    @Test
    void nullOrEmptyQueryHasNoParameters() {
        assertThat(QueryString.first(null, "unit")).isNull();
        assertThat(QueryString.first("", "unit")).isNull();
    }

    @Test
    void foldsOnlyAsciiCaseInNames() {
        assertThat(QueryString.first("un\u0131t=x", "unit")).isNull(); // dotless i is not an i
        assertThat(QueryString.first("UnIt=x", "unit")).isEqualTo("x");
    }

    @Test
    void malformedEscapeInTheValueIsAnIllegalArgument() {
        assertThatThrownBy(() -> QueryString.first("unit=%zz", "unit")).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> QueryString.first("unit=abc%4", "unit")).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void malformedEscapesInOtherValuesAreNotDecoded() {
        assertThat(QueryString.first("other=%zz&unit=ok", "unit")).isEqualTo("ok");
    }
}
