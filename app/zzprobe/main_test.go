package probe
import ("testing";"strings";"keysmith/app/input")
func TestProbe(t *testing.T){
 for _, s := range []string{"a@b.co","A@B.CO"," a@b.co ","a@b","a@@b.co","a@b@c.co","a b@c.co","A <a@b.co>","\"a b\"@c.co","\"a\"@c.co","a@b.co.","a.@b.co",".a@b.co","a..b@c.co","a@b..co","a@.b.co","a@münchen.de","jörg@b.co","a+tag@b.co","a@[1.2.3.4]","a@b.c", "a@-b.co", "a@b_c.co", "a@b.co\n", "a@b.c%o","a(comment)@b.co","<a@b.co>","a@b.co ", "a@localhost", "@b.co", "a@", "o'brien@b.co", "a@b.co,c@d.co", strings.Repeat("a",64)+"@b.co", strings.Repeat("a",65)+"@b.co", "a@"+strings.Repeat("b",248)+".co", "a@"+strings.Repeat("b",249)+".co", "ü@b.co", "a@b.co\u2028"} {
  v, err := input.Email("email", s); t.Logf("%q (%d) -> %q %v", s, len(s), v, err)
 }
}
