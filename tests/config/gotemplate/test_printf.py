"""printf and print: Go's fmt verbs, flags, widths, precision and error spellings (expected outputs from
Go's text/template)."""

from __future__ import annotations

import pytest

CASES = [
    ('{{ printf "%v %v %v %v %v" 1 1.5 "s" true nil }}',
     {},
     '1 1.5 s true <nil>'),
    ('{{ printf "%d" "x" }}|{{ printf "%s" }}|{{ printf "%d" 1 2 }}|{{ printf "%!" }}|{{ printf "%z" 1 }}|{{ printf "%" }}',
     {},
     '%!d(string=x)|%!s(MISSING)|1%!(EXTRA int=2)|%!!(MISSING)|%!z(int=1)|%!(NOVERB)'),
    ('{{ printf "%5d|%-5d|%05d|%+d|% d|%x|%X|%o|%O|%b|%c|%q|%U|%#U|%#x|%#o" 42 42 42 42 42 255 255 8 8 5 65 65 65 65 255 8 }}',
     {},
     "   42|42   |00042|+42| 42|ff|FF|10|0o10|101|A|'A'|U+0041|U+0041 'A'|0xff|010"),
    ('{{ printf "%e|%E|%f|%.2f|%g|%G|%8.3f|%-8.2f|%+.1e|%.0f|%.3g|%F" 1234.5678 1234.5678 1.5 3.14159 0.000012 1e21 3.14159 2.5 12345.678 2.5 3.14159 1.5 }}',
     {},
     '1.234568e+03|1.234568E+03|1.500000|3.14|1.2e-05|1E+21|   3.142|2.50    |+1.2e+04|2|3.14|1.500000'),
    ('{{ printf "%s|%q|%x|%X|%10s|%-10s|%.2s|% x|%#q" "hé" "a\\"b" "hi" "hi" "r" "l" "trunc" "ab" "bq" }}',
     {},
     'hé|"a\\"b"|6869|6869|         r|l         |tr|61 62|`bq`'),
    ('{{ printf "%v|%T|%T|%T|%T|%T" .l .l .m 1.5 nil (add 1 1) }}',
     {'l': [1, 'a', None, {'k': [1]}], 'm': {'z': 1, 'a': True}},
     '[1 a <nil> map[k:[1]]]|[]interface {}|map[string]interface {}|float64|<nil>|int64'),
    ('{{ printf "%v %d %s %x" .l .l .l .l }}',
     {'l': [1, 2, 300]},
     '[1 2 300] [1 2 300] [%!s(int=1) %!s(int=2) %!s(int=300)] [1 2 12c]'),
    ('{{ printf "%t %v %5t|%d" true false true true }}',
     {},
     'true false  true|%!d(bool=true)'),
    ('{{ printf "%[2]d %[1]d" 1 2 }}|{{ printf "%*d|%-*d|" 5 1 3 2 }}|{{ printf "%.*f" 2 3.14159 }}',
     {},
     '2 1|    1|2  ||3.14'),
    ('{{ printf "%v" 1e6 }} {{ printf "%v" 123456789.0 }} {{ printf "%v" 0.1 }} {{ printf "%v" 100000.0 }} {{ printf "%v" 1e-5 }} {{ printf "%v" -0.0 }}',
     {},
     '1e+06 1.23456789e+08 0.1 100000 1e-05 -0'),
    ('{{ printf "%#v" .m }} {{ printf "%+v" .m }} {{ printf "%#v" "s" }} {{ printf "%#v" 1 }} {{ printf "%#v" .l }}',
     {'m': {'a': [1, 'x']}, 'l': ['q']},
     'map[string]interface {}{"a":[]interface {}{1, "x"}} map[a:[1 x]] "s" 1 []interface {}{"q"}'),
    ('{{ printf "%08.3f|%+08d|%-08d|%x|%X" -3.14159 42 42 -255 "Zz" }}',
     {},
     '-003.142|+0000042|42      |-ff|5A7A'),
    ('{{ printf "%6.2f%%" 12.3456 }}|{{ printf "%3c|%-3c|" 120 121 }}|{{ printf "%q" 10 }}|{{ printf "%q" (list "a" "b") }}',
     {},
     ' 12.35%|  x|y  ||\'\\n\'|["a" "b"]'),
    ('{{ printf "%s" 1 }}|{{ printf "%d" 1.5 }}|{{ printf "%t" 1 }}|{{ printf "%f" "x" }}|{{ printf "%s" (list 1 "a") }}',
     {},
     '%!s(int=1)|%!d(float64=1.5)|%!t(int=1)|%!f(string=x)|[%!s(int=1) a]'),
    ('{{ printf "%v" .f }}|{{ printf "%.1f" .f }}|{{ printf "%g" .big }}|{{ printf "%v" .big }}|{{ printf "%e" 0.0 }}',
     {'f': 0.05, 'big': 1e+100},
     '0.05|0.1|1e+100|1e+100|0.000000e+00'),
    ('{{ print 1 2 "a" "b" 3 nil }}|{{ println "x" 1 2 }}|{{ print }}|{{ print (list 1) (dict "a" 1) }}',
     {},
     '1 2ab3 <nil>|x 1 2\n||[1] map[a:1]'),
    ('{{ printf "%v" (fromJson "{\\"a\\": 12345678}") }}|{{ printf "%.3s|%.10q" "abcdef" "abcdefghijklmnop" }}',
     {},
     'map[a:1.2345678e+07]|abc|"abcdefghij"'),
    ('{{ printf "%x" 3.5 }}|{{ printf "%v" 1e21 }}|{{ printf "%.2e" 123456.0 }}|{{ printf "%10.4v|" 3.14159 }}',
     {},
     '0x1.cp+01|1e+21|1.23e+05|     3.142|'),
]


@pytest.mark.parametrize("text, data, expected", CASES)
def test_printf_matches_go(render, text, data, expected):
    assert render(text, data) == expected


def test_printf_float_formats_directly():
    from werf_core.config.gotemplate.gofmt import sprintf

    assert sprintf("%v|%v|%v", 1e6, 1e20, 1e-7) == "1e+06|1e+20|1e-07"
    assert sprintf("%.3f|%8.2e|%-6g|", 2.0005, 12345.678, 0.5) == "2.001|1.23e+04|0.5   |"
    assert sprintf("%x|%X|%.1x", 1.0, -0.75, 3.99) == "0x1p+00|-0X1.8P-01|0x1.0p+02"
