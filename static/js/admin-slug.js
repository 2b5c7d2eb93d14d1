'use strict';
// The admin fills a slug in from the name as it is typed (prepopulated_fields) with URLify, which
// drops dashes, dots and apostrophes ("U.S.–France" → "usfrance"). Replaced here by the rule of
// tracker/slugs.py (slug_from_name), so the admin and the server give the same slug; change both
// together.
{
    const SPELLED_OUT = {
        'œ': 'oe', 'Œ': 'Oe', 'æ': 'ae', 'Æ': 'Ae', 'ß': 'ss', 'ø': 'o', 'Ø': 'O', 'ł': 'l', 'Ł': 'L',
        'đ': 'd', 'Đ': 'D', 'ð': 'd', 'Ð': 'D', 'þ': 'th', 'Þ': 'Th',
    };

    function slugFromName(name, maxLength) {
        let text = name.replace(/[œŒæÆßøØłŁđĐðÐþÞ]/g, (letter) => SPELLED_OUT[letter]);
        text = text.normalize('NFKD').replace(/\p{M}/gu, '');
        text = text.replace(/[^\x00-\x7f]/g, ' ').toLowerCase();
        // The dot after a lone letter is an abbreviation's ("U.S."): dropped.
        text = text.replace(/(?<![a-z0-9])([a-z])\./g, '$1');
        let slug = text.replace(/[^a-z0-9]+/g, '-').replace(/^-+|-+$/g, '');
        if (slug.length > maxLength) {
            slug = slug.slice(0, maxLength);
            const cut = slug.lastIndexOf('-');
            slug = cut > 0 ? slug.slice(0, cut) : slug;
        }
        return slug;
    }

    window.URLify = function(text, maxLength) {
        return slugFromName(text, maxLength);
    };
}
