package io.crossfade.sidecar.http;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.netty.handler.codec.http.QueryStringDecoder;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class QueryStringTest {

    /** Netty's decoder as Vert.x's params() configures it (UTF-8, 1024 parameters, ';' not a separator). */
    private static Map<String, List<String>> vertxParams(String query) {
        return new QueryStringDecoder(query, StandardCharsets.UTF_8, false, 1024, true).parameters();
    }

    /** What Vert.x's getParam answers: the first value of the first name equal ignoring case. */
    private static String vertxGetParam(String query, String name) {
        for (Map.Entry<String, List<String>> e : vertxParams(query).entrySet()) {
            if (e.getKey().equalsIgnoreCase(name) && !e.getValue().isEmpty()) {
                return e.getValue().get(0);
            }
        }
        return null;
    }

    private static boolean vertxCanDecode(String query) {
        try {
            vertxParams(query);
            return true;
        } catch (IllegalArgumentException e) {
            return false;
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {
            "unit=user-42", "a=1&unit=user-42&b=2", "unit=first&unit=second", "UNIT=loud", "Unit=mixed",
            "unit=a+b", "unit=a%20b", "unit=caf%C3%A9", "unit=%F0%9F%98%80", "unit=a;b", "unit=a=b",
            "unit=", "unit", "unit&unit=later", "&&unit=x&&", "=x&unit=y", "units=no&unit=yes", "uni=no",
            "%75nit=encoded-name", "u%6Eit=x", "unit%3D=odd", "prefix=search.&unit=u", "", "noise",
            "unit=%2B", "unit=100%25", "=unit=leading-equals", "==unit=two", "unit=a#frag", "#unit=x",
            "a=1#&unit=after-fragment", "unit==x"})
    void answersWhatVertxGetParamAnswers(String query) {
        assertThat(QueryString.first(query, "unit")).as(query).isEqualTo(vertxGetParam(query, "unit"));
        assertThat(QueryString.malformation(query)).as(query).isNull();
    }

    @Test
    void readsNoParameterAfterTheThousandAndTwentyFourth() {
        String before = "p=1&".repeat(1023) + "unit=in";
        String after = "p=1&".repeat(1024) + "unit=out";
        assertThat(QueryString.first(before, "unit")).isEqualTo(vertxGetParam(before, "unit")).isEqualTo("in");
        assertThat(QueryString.first(after, "unit")).isEqualTo(vertxGetParam(after, "unit")).isNull();
        String malformedLate = "p=1&".repeat(1024) + "x=%zz";
        assertThat(QueryString.malformation(malformedLate)).isNull();
        assertThat(vertxCanDecode(malformedLate)).isTrue();
    }

    @Test
    void nullQueryHasNoParameters() {
        assertThat(QueryString.first(null, "unit")).isNull();
        assertThat(QueryString.malformation(null)).isNull();
    }

    @Test
    void foldsOnlyAsciiCaseInNames() {
        assertThat(QueryString.first("un\u0131t=x", "unit")).isNull(); // dotless i is not an i
        assertThat(QueryString.first("UnIt=x", "unit")).isEqualTo("x");
    }

    @ParameterizedTest
    @ValueSource(strings = {"unit=%", "unit=%zz", "prefix=%4", "unit=a&prefix=%g0", "%=x", "a%=b", "x=%\uff10\uff10",
            "unit=ok&other=%2", "=%zz"})
    void malformedEscapeIsReportedWhereVertxWouldThrow(String query) {
        assertThat(vertxCanDecode(query)).as("Vert.x decodes %s", query).isFalse();
        assertThat(QueryString.malformation(query)).as(query).isNotNull();
    }

    @Test
    void malformationAgreesWithVertxOnRandomQueries() {
        Random random = new Random(99);
        String alphabet = "ab%=&+;#0fFgG9";
        for (int i = 0; i < 50_000; i++) {
            StringBuilder q = new StringBuilder();
            int length = random.nextInt(14);
            for (int j = 0; j < length; j++) {
                q.append(alphabet.charAt(random.nextInt(alphabet.length())));
            }
            String query = q.toString();
            boolean decodable = vertxCanDecode(query);
            assertThat(QueryString.malformation(query) == null).as(query).isEqualTo(decodable);
            if (decodable) {
                assertThat(QueryString.first(query, "a")).as(query).isEqualTo(vertxGetParam(query, "a"));
            }
        }
    }

    @Test
    void firstThrowsOnAMalformedEscapeItHasToDecode() {
        assertThatThrownBy(() -> QueryString.first("unit=%zz", "unit")).isInstanceOf(IllegalArgumentException.class);
    }
}
