/*
 * tests/t_mm_linux.c - what only the Linux scheme makes true.  TAP.
 *
 * The other t_mm_*.c programs assert what mm/ does, and hold under every
 * rmap scheme (tests/schemes.t runs them under each).  The asserts here
 * hold because of rmap/avc.c's own structures: each anon_vma's interval
 * tree of anon_vma_chain links, keyed by the linked VMA's page-offset
 * range (tails of mm/'s anon_id and anon_link).  Under another scheme
 * they are false (scan keeps no keys that could go stale), so every
 * machine here runs the `avc` scheme (also called `linux`), whatever
 * argv[2] or $SCHEME says, and schemes.t does not run this program.
 *
 * The anonymous identity itself (whether a VMA has an anon_vma, shares it,
 * has fork ancestry) is mm/'s, kept for every scheme: it is tested in the
 * scheme-blind programs.  Corruptions of avc's trees, link by link, are
 * tests/t_rmap.c's; this program holds what t_mm's scenarios need of avc.
 */
#include "t_mm.h"

/*
 * A VMA whose pgoff moved without its anon_vma_chain links being re-keyed
 * (as if a split or a move skipped anon_vma_interval_tree_pre_update_vma
 * and _post_update_vma) must fail check_machine, and pass again once put
 * back.  The VMA has an anonymous identity but no page and no file: no
 * page's index and no i_mmap node can tell, only the link's key in its
 * anon_vma's tree.  (Under scan the same corruption passes every check.)
 *
 *   A        A+1      A+2      A+3      A+4
 *   |rw-------------------------------------|   w at A+1, then dontneed:
 *                                                an anon_vma, a link, no page
 */
static bool t_avc_stale_chain_keys(struct ctx *c)
{
	struct vm_machine *m = machine(c, MEM);
	struct vm_mm *mm;
	struct vm_area *v;

	EXPECT(m);
	mm = mm_create(m);
	EXPECT(mm);
	OK_ADDR(vm_mmap(mm, A, 4 * P, PROT_RW, PRIV_FIXED, NULL, 0), A);
	EXPECT_EQ(poke(mm, A + P, 0x55), VM_FAULT_OK);   /* the anon identity */
	OK0(vm_madvise(mm, A, 4 * P, MADV_DONTNEED_));
	v = vma_lookup(mm, A);
	EXPECT(v && v->anon && !v->file);
	EXPECT_EQ(mm->rss, 0);
	CHECK_M(m);
	v->pgoff++;
	EXPECT(!check_machine(m));
	EXPECT(strstr(m->why, "anon_vma_chain"));
	v->pgoff--;
	CHECK_M(m);
	mm_destroy(mm);
	ALL_FREE(m);
	return true;
}

/* ================================================================== */

static const struct test tests[] = {
	{ "avc: checkers catch stale anon_vma_chain keys", t_avc_stale_chain_keys, NULL },
};

int main(int argc, char **argv)
{
	return run_tests(argc, argv, tests, NTESTS(tests), "avc");
}
